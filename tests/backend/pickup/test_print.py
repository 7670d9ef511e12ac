"""POST /api/v1/shipments/{no}/print: ZPL over raw TCP to a station printer, here a real local socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from backend.couriers.models import Station
from backend.pickup import services
from backend.pickup.selectors import label_data_for
from backend.shipments.models import Job
from parcelkit.labels.render import render_zpl
from tests.backend.api.conftest import Api
from tests.backend.pickup.conftest import started_pickup
from tests.fixtures.people import Person, make_supervisor


class FakePrinter:
    """A raw-port printer: accepts one connection per job and keeps every byte until the client half-closes."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self.received = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while data := conn.recv(65536):
                    chunks.append(data)
            self.jobs.append(b"".join(chunks))
            self.received.set()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    fake = FakePrinter()
    yield fake
    fake.close()


@pytest.fixture
def job(szx: Station, szx_supervisor: Person, szx_courier: tuple[Any, Person]) -> Job:
    return started_pickup(
        szx, szx_supervisor, szx_courier, destination_region="GD", declared_weight_g=2500, pieces=2
    )


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])  # closed again: nothing listens there


def test_the_printer_receives_exactly_the_zpl_of_every_piece(
    api: Api,
    job: Job,
    printer: FakePrinter,
    szx: Station,
    szx_supervisor: Person,
    szx_courier: tuple[Any, Person],
) -> None:
    services.printer_save(
        ctx=szx_supervisor.ctx, station_id=szx.pk, name="desk", host="127.0.0.1", port=printer.port
    )
    response = api.post(
        f"/api/v1/shipments/{job.shipment.tracking_no}/print", {"printer": "desk"}, as_=szx_courier[1]
    )
    assert response.status_code == 200, response.json()
    assert printer.received.wait(5)
    shipment = job.shipment
    shipment.refresh_from_db()
    expected = "".join(render_zpl(label_data_for(shipment, piece_no=n)) for n in (1, 2)).encode("utf-8")
    assert printer.jobs == [expected]
    assert response.json() == {"printer": "desk", "bytes_sent": len(expected), "labels": 2}
    assert expected.count(b"^XA") == 2 and f"^FD{shipment.tracking_no}^FS".encode() in expected


def test_an_unreachable_printer_is_a_503_printer_unreachable(
    api: Api, job: Job, szx: Station, szx_supervisor: Person
) -> None:
    services.printer_save(
        ctx=szx_supervisor.ctx, station_id=szx.pk, name="off", host="127.0.0.1", port=_free_port()
    )
    response = api.post(
        f"/api/v1/shipments/{job.shipment.tracking_no}/print", {"printer": "off"}, as_=szx_supervisor
    )
    body = response.json()
    assert (response.status_code, body["code"]) == (503, "printer_unreachable")
    assert set(body) == {"code", "message", "details"}
    assert body["details"] == {"printer": "off"}


def test_unknown_printer_and_other_stations_printers_are_404(
    api: Api, job: Job, szx_supervisor: Person, other_station: Station, admin: Person
) -> None:
    services.printer_save(ctx=admin.ctx, station_id=other_station.pk, name="theirs", host="127.0.0.1")
    for name in ("nope", "theirs"):
        response = api.post(
            f"/api/v1/shipments/{job.shipment.tracking_no}/print", {"printer": name}, as_=szx_supervisor
        )
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_only_station_staff_configure_printers(
    szx: Station, szx_courier: tuple[Any, Person], other_station: Station
) -> None:
    from backend.common.errors import DomainError

    with pytest.raises(DomainError) as exc:
        services.printer_save(ctx=szx_courier[1].ctx, station_id=szx.pk, name="x", host="h")
    assert exc.value.code == "wrong_role"
    with pytest.raises(DomainError) as exc:
        services.printer_save(ctx=make_supervisor(other_station).ctx, station_id=szx.pk, name="x", host="h")
    assert exc.value.code == "permission_denied"
