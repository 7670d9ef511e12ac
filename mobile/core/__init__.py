"""The handheld's core: a thin façade (facade.Core) the screens bind to, and its parts by responsibility.

    config.py      Config: server, devices, sync interval
    auth.py        DeviceAuth: online login binding the device, offline login against a cached hash
    session.py     SessionKeeper: who is logged in, their store and waybill numbers; log out
    sync_loop.py   SyncLoop: sync rounds, the background loop, the live doorbell, the badge
    scan_desk.py   ScanDesk: scanner and camera reads judged, recorded or opening a job
    door.py        DoorWork: delivery, failed attempt and pickup at the door

``from mobile.core import Core, Config, LogoutBlocked`` is the one import the app needs.
"""

from mobile.core.config import Config
from mobile.core.facade import Badge, Core
from mobile.core.session import LogoutBlocked

__all__ = ["Badge", "Config", "Core", "LogoutBlocked"]
