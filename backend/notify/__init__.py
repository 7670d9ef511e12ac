"""Messages to customers (SMS, WeChat) through a pluggable gateway: docs/negotiation.md, "Prompts and
the notification gateway"."""
