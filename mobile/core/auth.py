"""Logging in on the handheld: online against the server, offline from cached credentials. Plain Python.

The first login of a courier on a device must be online: the server checks the password and binds
a token to this device id. The device then keeps, for the last courier only, a salted PBKDF2 hash
of the password (never the password) and the token, in a small file written atomically. Later
logins of the same courier work with no signal: the hash is checked locally and the cached token
is used; when the network is back the core logs in again with the password still in memory, which
refreshes the token. A wrong password on the server wipes the cached hash (the password was
changed, or someone is guessing), and five wrong offline attempts lock offline login until an
online one succeeds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mobile.i18n import N_
from mobile.offline.sync import Transport, TransportError

ITERATIONS = 200_000
MAX_OFFLINE_FAILURES = 5


class LoginError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Session:
    employee_no: str
    token: str
    profile: dict[str, Any]
    device_id: str
    offline: bool  # logged in from the cached credentials: the token needs a refresh when online

    @property
    def station_id(self) -> int | None:
        station = self.profile.get("station") or {}
        return station.get("id")

    @property
    def courier_name(self) -> str:
        return str((self.profile.get("courier") or {}).get("name", self.employee_no))


def hash_password(password: str, salt: bytes, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations).hex()


class DeviceAuth:
    """The device's identity and the cached credentials of its last courier (``auth.json``)."""

    def __init__(self, path: Path | str, *, iterations: int = ITERATIONS) -> None:
        self.path = Path(path)
        self.iterations = iterations
        self._data = self._load()
        if "device_id" not in self._data:
            self._data["device_id"] = "hh-" + secrets.token_hex(8)
            self._save()

    @property
    def device_id(self) -> str:
        return str(self._data["device_id"])

    @property
    def cached_employee_no(self) -> str | None:
        cached = self._data.get("cached")
        return None if not cached else str(cached["employee_no"])

    def login(self, employee_no: str, password: str, transport: Transport) -> Session:
        employee_no = employee_no.strip()
        if not employee_no or not password:
            raise LoginError("invalid", N_("enter your employee number and password"))
        try:
            reply = transport.request(
                "POST",
                "/api/v1/auth/login",
                json_body={"login": employee_no, "password": password, "device_id": self.device_id},
            )
        except TransportError:
            return self._offline(employee_no, password)
        if reply.status >= 500:
            return self._offline(employee_no, password)
        body = reply.body if isinstance(reply.body, dict) else {}
        if reply.status != 200:
            if reply.status in (400, 401) and self.cached_employee_no == employee_no:
                self._data.pop("cached", None)  # the server says no: the cached hash must not say yes later
                self._save()
            raise LoginError(
                str(body.get("code", f"http_{reply.status}")), str(body.get("message", N_("login refused")))
            )
        if body.get("role") != "courier":
            raise LoginError("wrong_role", N_("this handheld is for couriers"))
        salt = secrets.token_bytes(16)
        profile = {k: body.get(k) for k in ("role", "user", "courier", "station")}
        self._data["cached"] = {
            "employee_no": employee_no,
            "salt": salt.hex(),
            "iterations": self.iterations,
            "hash": hash_password(password, salt, self.iterations),
            "token": body["token"],
            "profile": profile,
            "offline_failures": 0,
        }
        self._save()
        return Session(employee_no, str(body["token"]), profile, self.device_id, offline=False)

    def resumable(self) -> Session | None:
        """The last courier's session after an app restart, unless they logged out (token forgotten)."""
        cached = self._data.get("cached")
        if not cached or not cached.get("token"):
            return None
        return Session(
            str(cached["employee_no"]),
            str(cached["token"]),
            dict(cached["profile"]),
            self.device_id,
            offline=False,
        )

    def forget_token(self) -> None:
        """Logged out: the token is gone; the hash stays so the same courier can start offline tomorrow."""
        cached = self._data.get("cached")
        if cached:
            cached["token"] = ""
            self._save()

    def _offline(self, employee_no: str, password: str) -> Session:
        cached = self._data.get("cached")
        if not cached or cached["employee_no"] != employee_no:
            raise LoginError(
                "offline_first_login", N_("no signal: the first login on this handheld must be online")
            )
        if cached.get("offline_failures", 0) >= MAX_OFFLINE_FAILURES:
            raise LoginError("offline_locked", N_("too many wrong passwords: log in online"))
        given = hash_password(password, bytes.fromhex(cached["salt"]), int(cached["iterations"]))
        if not hmac.compare_digest(given, cached["hash"]):
            cached["offline_failures"] = cached.get("offline_failures", 0) + 1
            self._save()
            raise LoginError("authentication_failed", N_("wrong login or password"))
        cached["offline_failures"] = 0
        self._save()
        return Session(
            employee_no, str(cached["token"]), dict(cached["profile"]), self.device_id, offline=True
        )

    def _load(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def _save(self) -> None:
        # Write a temp file, fsync, rename: a crash leaves the old credentials or the new ones.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".auth.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._data, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
