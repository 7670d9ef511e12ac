"""Moved to mobile/offline/outbox.py; this name stays only while mobile/actions.py imports it.

mobile/actions.py is being reworked on the `layers` branch (parcelkit); once merged, its import
reads ``from mobile.offline import outbox`` and this file is deleted.
"""

from mobile.offline.outbox import append

__all__ = ["append"]
