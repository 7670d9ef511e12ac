"""A courier's handheld core wired to the real API in-process, a switchable network, a fake printer."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from mobile.offline.sync import Reply, TransportError
from tests.mobile.offline.fakes import DjangoTransport

PNG = b"\x89PNG\r\n\x1a\n" + b"signature" * 50
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 50


class Network:
    """Every transport the core opens goes through here; ``up = False`` is a dead zone."""

    def __init__(self) -> None:
        self.up = True
        self.requests: list[str] = []

    def connect(self, token: str) -> Link:
        return Link(self, DjangoTransport(token))


class Link:
    def __init__(self, network: Network, inner: DjangoTransport) -> None:
        self.network, self.inner = network, inner

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        if not self.network.up:
            raise TransportError("no signal")
        self.network.requests.append(f"{method} {path}")
        return self.inner.request(method, path, **kwargs)


class FakePrinter:
    """A raw-port label printer on loopback: it keeps every job it receives."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                if data:
                    self.jobs.append(data)

    def wait(self, n: int, timeout: float = 5.0) -> int:
        """The job count once ``n`` arrived (the printer thread reads after the sender returned)."""
        deadline = time.monotonic() + timeout
        while len(self.jobs) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.jobs)

    def close(self) -> None:
        self.sock.close()


class Recorder:
    """Subscribes to the core's bus like a screen does and keeps what it heard."""

    def __init__(self, bus: Any) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        for name in ("jobs", "badge", "notice", "scan", "open", "session"):
            bus.subscribe(name, getattr(self, f"on_{name}"))

    def _add(self, name: str, data: dict[str, Any]) -> None:
        self.events.append((name, data))

    def on_jobs(self, **d: Any) -> None:
        self._add("jobs", d)

    def on_badge(self, **d: Any) -> None:
        self._add("badge", d)

    def on_notice(self, **d: Any) -> None:
        self._add("notice", d)

    def on_scan(self, **d: Any) -> None:
        self._add("scan", d)

    def on_open(self, **d: Any) -> None:
        self._add("open", d)

    def on_session(self, **d: Any) -> None:
        self._add("session", d)

    def notices(self) -> list[str]:
        return [d["message"] for name, d in self.events if name == "notice"]


def make_world(deliveries: int = 3) -> dict[str, Any]:
    """Station SZX with its tariff book, a supervisor, a courier with deliveries ready and one pickup."""
    from backend.pickup import services as pickup_services
    from backend.shipments.services import job_assign
    from tests.backend.pickup.conftest import TABLE
    from tests.backend.sync.helpers import ready_job
    from tests.fixtures.jobs import make_job
    from tests.fixtures.people import make_courier, make_station, make_supervisor

    station = make_station("SZX")
    boss = make_supervisor(station)
    courier, person = make_courier(station)
    pickup_services.tariff_book_publish(ctx=boss.ctx, origin="SZX", book_json=TABLE["tariff_book"])
    jobs = [ready_job(station, boss, courier) for _ in range(deliveries)]
    pickup = job_assign(
        job_id=make_job(station, boss.ctx, "pickup", destination_region="GD").pk,
        courier_id=courier.pk,
        ctx=boss.ctx,
    )
    return {
        "station": station,
        "boss": boss,
        "courier": courier,
        "person": person,
        "deliveries": jobs,
        "pickup": pickup,
    }
