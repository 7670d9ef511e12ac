"""Permission-matrix rows for the pickup app's routes (found by tests/backend/api/test_permission_matrix.py)."""

from __future__ import annotations

import copy
import socket
from typing import Any

from backend.pickup import services
from backend.shipments.services import job_complete_pickup
from backend.shipments.services.door_inputs import PickupInput
from tests.backend.api.matrix import Row, World
from tests.backend.pickup.conftest import TABLE


def _book(w: World) -> dict[str, Any]:
    book = copy.deepcopy(TABLE["tariff_book"])
    for row in book["tariffs"]:
        row["origin"] = w.station.code
    return book


def _publish(w: World) -> None:
    services.tariff_book_publish(ctx=w.admin.ctx, origin=w.station.code, book_json=_book(w))


def _picked_up(w: World) -> None:
    w.start(w.pickup)
    job_complete_pickup(
        job_id=w.pickup.pk,
        ctx=w.courier_person.ctx,
        data=PickupInput(
            measured_weight_g=1200, weight_source="scale", scale_model="ACS-30", prohibited_items_absent=True
        ),
    )


def _picked_up_with_dead_printer(w: World) -> None:
    _picked_up(w)
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # closed on exit: a printer that is switched off
    services.printer_save(ctx=w.admin.ctx, station_id=w.station.pk, name="desk", host="127.0.0.1", port=port)


def _quote(w: World) -> dict[str, Any]:
    return TABLE["cases"][0]["request"] | {"origin": w.station.code}


def _shipment(w: World) -> str:
    return f"/api/v1/shipments/{w.pickup.shipment.tracking_no}"


ROWS: dict[str, Row] = {
    # any signed-in role prices a parcel and downloads a book; only the station's desk publishes one
    "pickup-quotes": Row(
        "post", lambda w: "/api/v1/quotes", "401 200 200 200 200 200", body=_quote, setup=_publish
    ),
    "pickup-tariffs": Row(
        "get", lambda w: f"/api/v1/tariffs/{w.station.code}", "401 200 200 200 200 200", setup=_publish
    ),
    "pickup-tariffs-publish": Row(
        "post",
        lambda w: f"/api/v1/tariffs/{w.station.code}",
        "401 403w 403w 201 403p 201",
        body=lambda w: {"book": _book(w)},
    ),
    # The label and printing follow shipment visibility. The matrix reads JSON bodies, so the label row asks
    # for a piece the shipment lacks: that 400 comes after the visibility check, the 404s before it (the
    # 200s are in test_labels_api). 503 shows the caller got as far as the printer.
    "pickup-shipment-label": Row(
        "get",
        lambda w: _shipment(w) + "/label?format=png&piece=9",
        "401 400 404 400 404 400",
        setup=_picked_up,
    ),
    "pickup-shipment-print": Row(
        "post",
        lambda w: _shipment(w) + "/print",
        "401 503 404 503 404 503",
        body=lambda w: {"printer": "desk"},
        setup=_picked_up_with_dead_printer,
    ),
}
