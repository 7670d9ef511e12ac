"""Sync's write path: applying a pushed batch of ops (``push``), the attachments the ops name and
their uploads (``attachments``), the courier's call log (``calls``). See docs/sync-protocol.md."""

# The leaf services first: ``push`` reaches ``handlers``, which call them.
from backend.sync.services.attachments import (
    attachment_begin,
    attachment_put_chunk,
    attachments_expire_abandoned,
    attachments_reference,
    attachments_store_whole,
)
from backend.sync.services.calls import call_log_record
from backend.sync.services.push import PushResult, apply_ops

__all__ = [
    "PushResult",
    "apply_ops",
    "attachment_begin",
    "attachment_put_chunk",
    "attachments_expire_abandoned",
    "attachments_reference",
    "attachments_store_whole",
    "call_log_record",
]
