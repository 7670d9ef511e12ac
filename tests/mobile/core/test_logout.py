"""Log out from the screens runs off the caller's thread and reports on the bus."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from mobile.core import Config, Core, LogoutBlocked
from mobile.offline.sync import Reply, TransportError
from mobile.scanning.scan_session import ScanMode
from tests.mobile.core.helpers import Network, make_world

pytestmark = pytest.mark.django_db
PASSWORD = "courier-pass-1"


class SlowLogoutLink:
    """The server's logout call hangs until ``gate`` opens, then finds no signal (no DB off this thread)."""

    def __init__(self, inner: Any, gate: threading.Event) -> None:
        self.inner, self.gate = inner, gate

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        if path == "/api/v1/auth/logout":
            self.gate.wait(10)
            raise TransportError("no signal")
        return self.inner.request(method, path, **kwargs)  # type: ignore[no-any-return]


class Heard:
    def __init__(self, core: Core) -> None:
        self.events: list[tuple[str, str]] = []
        self.done = threading.Event()
        core.bus.subscribe("logout", self.on_logout)
        core.bus.subscribe("session", self.on_session)

    def on_logout(self, state: str, error: str) -> None:
        self.events.append(("logout", state))
        if state in ("done", "failed"):
            self.done.set()

    def on_session(self, session: Any) -> None:
        self.events.append(("session", "in" if session else "out"))


def make_core(tmp_path: Path, net: Network, gate: threading.Event) -> Core:
    return Core(
        Config(data_dir=tmp_path / "phone", pbkdf2_iterations=1000),
        connect=lambda token: SlowLogoutLink(net.connect(token), gate),
    )


def test_logout_returns_at_once_and_reports_when_done(tmp_path: Path, db: None) -> None:
    world, gate = make_world(), threading.Event()
    core = make_core(tmp_path, Network(), gate)
    core.login(world["courier"].employee_no, PASSWORD)
    heard = Heard(core)
    core.logout_in_background()
    assert heard.events == [("logout", "started")]  # the server call is still hanging
    assert core.session is not None
    gate.set()
    assert heard.done.wait(10)
    assert heard.events == [("logout", "started"), ("session", "out"), ("logout", "done")]
    assert core.session is None and core.store is None and core.auth.resumable() is None


def test_logout_with_pending_ops_is_refused_at_once_and_forcing_keeps_them(tmp_path: Path, db: None) -> None:
    world, gate = make_world(), threading.Event()
    gate.set()
    net = Network()
    core = make_core(tmp_path, net, gate)
    core.login(world["courier"].employee_no, PASSWORD)
    net.up = False
    core.start_scan(ScanMode.LOADED_OUT)
    core.handle_scan(world["deliveries"][0].shipment.tracking_no)
    heard = Heard(core)
    with pytest.raises(LogoutBlocked):
        core.logout_in_background()
    assert heard.events == []
    core.logout_in_background(force=True)
    assert heard.done.wait(10) and core.session is None
    core.login(world["courier"].employee_no, PASSWORD)  # offline, from the cache
    assert core.pending_count() == 1
