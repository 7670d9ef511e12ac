"""Moved to mobile/offline/store.py; this name stays only while mobile/actions.py imports it.

mobile/actions.py is being reworked on the `layers` branch (parcelkit); once merged, its import
reads ``from mobile.offline.store import Store`` and this file is deleted.
"""

from mobile.offline.store import Store

__all__ = ["Store"]
