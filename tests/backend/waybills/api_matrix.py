"""Permission-matrix rows for the waybill-block routes (found by tests/backend/api/test_permission_matrix.py)."""

from __future__ import annotations

from backend.waybills import services
from tests.backend.api.matrix import Row, World


def _block(w: World) -> None:
    w.extra["block"] = services.waybill_block_allocate(ctx=w.courier_person.ctx, device_id="hh-own", size=5)


ROWS: dict[str, Row] = {
    # Blocks are for couriers' handhelds only: the desk never issues numbers offline.
    "waybills-blocks": Row(
        "post",
        lambda w: "/api/v1/waybill-blocks",
        "401 201 201 403w 403w 403w",
        body=lambda w: {"size": 5},  # the block goes to the device of the token
    ),
    # Another courier's block is not found, not forbidden: block ids leak nothing.
    "waybills-block-close": Row(
        "post",
        lambda w: f"/api/v1/waybill-blocks/{w.extra['block'].pk}/close",
        "401 200 404 403w 403w 403w",
        body=lambda w: {"used_serials": []},
        setup=_block,
    ),
}
