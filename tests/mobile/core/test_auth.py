"""Login: online binds the device and caches a hash; offline works only for that courier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mobile.core.auth import MAX_OFFLINE_FAILURES, DeviceAuth, LoginError
from mobile.offline.sync import Reply, TransportError

PROFILE = {
    "role": "courier",
    "user": {"id": 7, "username": "c7"},
    "courier": {"id": 3, "employee_no": "E1001", "name": "王五"},
    "station": {"id": 1, "code": "HZ01", "name": "西湖站", "time_zone": "Asia/Shanghai"},
}


class Server:
    """The login endpoint's contract: the password is checked, the token bound to the device id."""

    def __init__(self, password: str = "secret-1") -> None:
        self.password = password
        self.up = True
        self.seen: list[dict[str, Any]] = []
        self.issued = 0

    def request(
        self, method: str, path: str, *, json_body: Any = None, params: Any = None, data: bytes | None = None
    ) -> Reply:
        if not self.up:
            raise TransportError("no signal")
        assert (method, path) == ("POST", "/api/v1/auth/login")
        self.seen.append(json_body)
        if json_body["login"] != "E1001" or json_body["password"] != self.password:
            return Reply(
                401, {"code": "authentication_failed", "message": "wrong login or password", "details": {}}
            )
        self.issued += 1
        return Reply(200, {"token": f"tok-{self.issued}", **PROFILE})


@pytest.fixture
def auth(tmp_path: Path) -> DeviceAuth:
    return DeviceAuth(tmp_path / "auth.json", iterations=1000)


def test_online_login_binds_the_device_and_never_stores_the_password(
    auth: DeviceAuth, tmp_path: Path
) -> None:
    server = Server()
    session = auth.login("E1001", "secret-1", server)
    assert (session.token, session.offline, session.station_id) == ("tok-1", False, 1)
    assert server.seen[0]["device_id"] == auth.device_id and auth.device_id.startswith("hh-")
    stored = (tmp_path / "auth.json").read_text()
    assert "secret-1" not in stored
    assert json.loads(stored)["cached"]["iterations"] == 1000
    assert (tmp_path / "auth.json").stat().st_mode & 0o077 == 0


def test_the_device_id_survives_a_restart(auth: DeviceAuth, tmp_path: Path) -> None:
    assert DeviceAuth(tmp_path / "auth.json").device_id == auth.device_id


def test_after_one_online_login_the_same_courier_logs_in_offline(auth: DeviceAuth) -> None:
    server = Server()
    auth.login("E1001", "secret-1", server)
    server.up = False
    session = auth.login("E1001", "secret-1", server)
    assert (session.offline, session.token, session.courier_name) == (True, "tok-1", "王五")


def test_offline_login_refuses_a_wrong_password(auth: DeviceAuth) -> None:
    server = Server()
    auth.login("E1001", "secret-1", server)
    server.up = False
    with pytest.raises(LoginError) as err:
        auth.login("E1001", "guess", server)
    assert err.value.code == "authentication_failed"


def test_a_first_login_cannot_be_offline(auth: DeviceAuth) -> None:
    server = Server()
    server.up = False
    with pytest.raises(LoginError) as err:
        auth.login("E1001", "secret-1", server)
    assert err.value.code == "offline_first_login"


def test_another_courier_cannot_log_in_offline(auth: DeviceAuth) -> None:
    server = Server()
    auth.login("E1001", "secret-1", server)
    server.up = False
    with pytest.raises(LoginError) as err:
        auth.login("E2002", "secret-1", server)
    assert err.value.code == "offline_first_login"


def test_repeated_wrong_offline_passwords_lock_offline_login(auth: DeviceAuth) -> None:
    server = Server()
    auth.login("E1001", "secret-1", server)
    server.up = False
    for _ in range(MAX_OFFLINE_FAILURES):
        with pytest.raises(LoginError):
            auth.login("E1001", "nope", server)
    with pytest.raises(LoginError) as err:
        auth.login("E1001", "secret-1", server)
    assert err.value.code == "offline_locked"
    server.up = True
    assert auth.login("E1001", "secret-1", server).offline is False  # online unlocks it
    server.up = False
    assert auth.login("E1001", "secret-1", server).offline is True


def test_a_password_changed_on_the_server_wipes_the_cached_hash(auth: DeviceAuth) -> None:
    server = Server()
    auth.login("E1001", "secret-1", server)
    server.password = "secret-2"
    with pytest.raises(LoginError):
        auth.login("E1001", "secret-1", server)
    server.up = False
    with pytest.raises(LoginError) as err:
        auth.login("E1001", "secret-1", server)
    assert err.value.code == "offline_first_login"


def test_a_server_error_falls_back_to_the_cached_credentials(auth: DeviceAuth) -> None:
    server = Server()
    auth.login("E1001", "secret-1", server)

    class Broken(Server):
        def request(self, *a: Any, **kw: Any) -> Reply:
            return Reply(503, None)

    assert auth.login("E1001", "secret-1", Broken()).offline is True


def test_logout_forgets_the_token_but_keeps_offline_login(auth: DeviceAuth) -> None:
    server = Server()
    auth.login("E1001", "secret-1", server)
    assert auth.resumable() is not None
    auth.forget_token()
    assert auth.resumable() is None
    server.up = False
    session = auth.login("E1001", "secret-1", server)
    assert (session.offline, session.token) == (True, "")


def test_empty_fields_are_refused_before_the_network(auth: DeviceAuth) -> None:
    server = Server()
    with pytest.raises(LoginError) as err:
        auth.login("  ", "x", server)
    assert err.value.code == "invalid" and server.seen == []
