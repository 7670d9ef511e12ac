"""Who is logged in on this handheld, and their data while they are.

Login is online when the server answers and offline (against the cached hash) when it does not;
the password stays in memory only, so the sync loop can fetch a real token once the network is
back. Each courier has their own folder: the SQLite store (ops and the day's jobs) and the
waybill number blocks. Logging out forgets the token but keeps the folder: ops not yet synced go
out at the courier's next login.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mobile.actions import Actions
from mobile.core.auth import DeviceAuth, LoginError, Session
from mobile.offline.store import Store
from mobile.offline.sync import Transport, TransportError
from mobile.offline.waybills import JsonFileBlockStore, WaybillIssuer


class LogoutBlocked(Exception):
    """Work would be left behind: ops not uploaded, or refusals nobody has dealt with yet."""

    def __init__(self, pending: int, unresolved: int = 0) -> None:
        super().__init__(f"{pending} operations are not yet synced, {unresolved} refusals unresolved")
        self.pending = pending
        self.unresolved = unresolved


class SessionKeeper:
    def __init__(self, data_dir: Path, auth: DeviceAuth, connect: Callable[[str], Transport]) -> None:
        self.data_dir = Path(data_dir)
        self.auth = auth
        self.connect = connect
        self.session: Session | None = None
        self.store: Store | None = None
        self.actions: Actions | None = None
        self.waybills: WaybillIssuer | None = None
        self._password = ""  # in memory only, to refresh the token once the network is back

    def login(self, employee_no: str, password: str) -> Session:
        """Online when the server answers, offline against the cached hash otherwise; raises LoginError."""
        session = self.auth.login(employee_no, password, self.connect(""))
        self._password = password
        self._open(session)
        return session

    def resume(self) -> Session | None:
        """After a restart: the last courier's session if not logged out (a handheld is rarely turned off)."""
        session = self.auth.resumable()
        if session is not None:
            self._open(session)
        return session

    def refresh(self) -> Session:
        """A fresh token from the kept password; LoginError without one, TransportError while still offline."""
        assert self.session is not None
        if not self._password:
            raise LoginError("token_expired", "log in again")
        fresh = self.auth.login(self.session.employee_no, self._password, self.connect(""))
        if fresh.offline:
            raise TransportError("still offline")
        self.session = fresh
        return fresh

    def revoke(self) -> None:
        """Tell the server the token is done; best effort (unreachable, the token simply expires)."""
        if self.session is not None and self.session.token:
            with contextlib.suppress(TransportError):
                self.connect(self.session.token).request("POST", "/api/v1/auth/logout")

    def close(self) -> None:
        """Logged out: the token is forgotten and the store closed (its queued ops stay on disk)."""
        self.auth.forget_token()
        if self.store is not None:
            self.store.close()
        self.session = self.store = self.actions = self.waybills = None
        self._password = ""

    @property
    def station(self) -> dict[str, Any]:
        return (self.session.profile.get("station") if self.session else None) or {}

    def tz(self, default: str) -> ZoneInfo:
        """The station's time zone (the courier's day and times are local to it)."""
        return ZoneInfo(self.station.get("time_zone") or default)

    def _open(self, session: Session) -> None:
        if self.store is not None:
            self.store.close()
        folder = self.data_dir / f"courier-{session.employee_no}"
        folder.mkdir(parents=True, exist_ok=True)
        self.session = session
        self.store = Store(str(folder / "store.sqlite3"), device_id=session.device_id)
        self.actions = Actions(self.store)
        self.waybills = WaybillIssuer(JsonFileBlockStore(folder / "waybills.json"))
