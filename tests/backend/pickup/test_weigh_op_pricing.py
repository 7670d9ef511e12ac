"""The sync ``weigh`` op is priced from the shipment's own record, never from what the device says
(issue 16: an express, fragile pickup sent as "standard, not fragile" was applied underpriced)."""

from __future__ import annotations

from typing import Any

import pytest

from backend.couriers.models import Station
from backend.pickup.models import TariffBookVersion
from backend.shipments.models import Shipment
from tests.backend.pickup.conftest import started_pickup
from tests.backend.sync.helpers import op, outcomes, push
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

WEIGHED = {
    "measured_weight_g": 2001,
    "weight_source": "scale",
    "scale_model": "ACS-30",
    "length_mm": 100,
    "width_mm": 100,
    "height_mm": 100,
    "prohibited_items_absent": True,
    "payment_method": "cash",
}
# SZX → GD express by the shared book: first 1000 g 1800 fen, then 500 fen per started 500 g
# (1001 g more: 3 steps, 1500) and 500 fen for fragile. Worked out by hand, not by the rules.
EXPRESS_FRAGILE_FEN = 1800 + 3 * 500 + 500


@pytest.fixture
def express_fragile(
    szx: Station, szx_supervisor: Person, szx_courier: tuple[Any, Person], szx_book: TariffBookVersion
) -> int:
    job = started_pickup(
        szx,
        szx_supervisor,
        szx_courier,
        destination_region="GD",
        service_level="express",
        handling=["fragile"],
    )
    return int(job.pk)


def test_attributes_the_device_sends_do_not_lower_the_price(
    express_fragile: int, szx_courier: tuple[Any, Person]
) -> None:
    me = szx_courier[1]
    lie = {"destination_region": "GD", "service_level": "standard", "fragile": False, "cod_amount_fen": 0}
    payload = {"job_id": express_fragile, **WEIGHED, "price_fen": 1400, "pricing": lie}
    body = push(me, [op(me, "weigh", payload)])
    assert outcomes(body) == [("rejected", "price_mismatch")]
    assert body["results"][0]["details"]["expected_total_fen"] == EXPRESS_FRAGILE_FEN
    shipment = Shipment.objects.get(jobs__pk=express_fragile)
    assert shipment.price_fen is None and shipment.measured_weight_g is None


def test_the_records_price_is_applied_whatever_the_device_says(
    express_fragile: int, szx_courier: tuple[Any, Person]
) -> None:
    me = szx_courier[1]
    lie = {"service_level": "standard", "fragile": False}
    payload = {"job_id": express_fragile, **WEIGHED, "price_fen": EXPRESS_FRAGILE_FEN, "pricing": lie}
    assert outcomes(push(me, [op(me, "weigh", payload)])) == [("applied", "")]
    assert Shipment.objects.get(jobs__pk=express_fragile).price_fen == EXPRESS_FRAGILE_FEN


def test_a_negative_price_is_refused_for_good_not_retried(
    szx: Station, szx_supervisor: Person, szx_courier: tuple[Any, Person]
) -> None:
    job = started_pickup(szx, szx_supervisor, szx_courier, destination_region="GD")  # no book: taken as given
    me = szx_courier[1]
    body = push(me, [op(me, "weigh", {"job_id": job.pk, **WEIGHED, "price_fen": -50000})])
    assert outcomes(body) == [("rejected", "pickup_incomplete")]
