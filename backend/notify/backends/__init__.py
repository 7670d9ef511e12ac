"""The gateway's backends: one module per provider kind (backend/notify/gateway.py)."""
