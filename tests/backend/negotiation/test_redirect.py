"""Redirect to another address: validated, located (the customer's coordinates, else the
station's known addresses), then inside the station's area re-planned at the new address, outside
it a transfer exception for a supervisor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Zone
from backend.negotiation.models import Consent, PickupHold, SupervisorException
from backend.negotiation.selectors import supervisor_exceptions_open
from backend.negotiation.services import OptionInput, negotiation_answer, supervisor_exception_resolve
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from tests.backend.negotiation.conftest import NOW, failed_job, offer, options
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db

REDIRECT = OptionInput(key="rd", kind="redirect", text={"zh": "改到另一个地址", "en": "Another address"})
SHANGHAI = (31.23, 121.47)  # ~165 km from the test station in Hangzhou


def redirect(job, supervisor, address: str, lat: float | None = None, lng: float | None = None):  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx, options=[*options(), REDIRECT])
    return negotiation_answer(
        negotiation_id=n.pk,
        option_key="rd",
        channel="link",
        language="zh",
        ctx=Ctx.system(),
        address=address,
        lat=lat,
        lng=lng,
        now=NOW + timedelta(minutes=1),
    )


def test_inside_by_the_customers_coordinates_the_job_moves_and_goes_back_to_its_courier(
    job, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    result = redirect(job, supervisor, "  杭州市西湖区   古墩路88号 ", 30.30, 120.10)
    j = Job.objects.get(pk=job.pk)
    assert (j.address, j.lat, j.lng, j.status, j.courier_id) == (
        "杭州市西湖区 古墩路88号",
        30.30,
        120.10,
        "assigned",
        courier[0].pk,
    )
    assert j.next_step["kind"] == "redirect" and "transfer" not in j.next_step
    assert result.consent.details["located"] == "customer" and result.consent.details["inside_area"] is True
    assert SupervisorException.objects.count() == 0


def test_inside_by_a_known_address_of_the_station(job, supervisor, station) -> None:  # type: ignore[no-untyped-def]
    other = make_job(station, supervisor.ctx, recipient_lat=30.291, recipient_lng=120.141)
    result = redirect(job, supervisor, other.address.replace("区", "区 "))
    j = Job.objects.get(pk=job.pk)
    assert (j.address, j.lat, j.lng) == (other.address.replace("区", "区 "), 30.291, 120.141)
    assert result.consent.details["located"] == "known_address"


def test_an_unlocated_address_is_inside_when_a_zone_of_the_station_covers_it(
    job, supervisor, station
) -> None:  # type: ignore[no-untyped-def]
    Zone.objects.create(station=station, code="Z1", name="西湖", address_prefixes=["杭州市西湖区"])
    redirect(job, supervisor, "杭州市西湖区某个新小区5幢")
    j = Job.objects.get(pk=job.pk)
    assert (j.address, j.lat, j.lng, j.status) == ("杭州市西湖区某个新小区5幢", None, None, "assigned")
    assert Consent.objects.get().details["located"] == "zone_prefix"


@pytest.mark.parametrize(
    ("address", "where"), [("上海市黄浦区南京东路1号", SHANGHAI), ("某地某路1号", (None, None))]
)
def test_outside_the_area_it_becomes_a_transfer_exception(job, supervisor, address, where) -> None:  # type: ignore[no-untyped-def]
    before = Job.objects.get(pk=job.pk)
    redirect(job, supervisor, address, *where)
    j = Job.objects.get(pk=job.pk)
    assert (j.address, j.status) == (before.address, "failed")  # unchanged until a supervisor decides
    assert (j.next_step["kind"], j.next_step["transfer"]) == ("redirect", "pending")
    exc = supervisor_exceptions_open(station_id=job.station_id).get()
    assert (exc.kind, exc.job_id, exc.details["address"]) == ("redirect_outside_area", job.pk, address)


def test_a_supervisor_accepts_the_transfer_or_declines_it(job, supervisor, station, courier) -> None:  # type: ignore[no-untyped-def]
    redirect(job, supervisor, "上海市黄浦区南京东路1号", *SHANGHAI)
    exc = SupervisorException.objects.get()
    supervisor_exception_resolve(
        exception_id=exc.pk, ctx=supervisor.ctx, decision="accept", reason="转运上海站"
    )
    j = Job.objects.get(pk=job.pk)
    assert (j.address, (j.lat, j.lng), j.status, j.next_step["transfer"]) == (
        "上海市黄浦区南京东路1号",
        SHANGHAI,
        "failed",
        "accepted",
    )
    exc.refresh_from_db()
    assert (exc.decision, exc.resolution_reason, exc.resolved_by_id) == (
        "accept",
        "转运上海站",
        supervisor.user.pk,
    )
    assert not supervisor_exceptions_open(station_id=station.pk).exists()
    with pytest.raises(DomainError) as err:
        supervisor_exception_resolve(exception_id=exc.pk, ctx=supervisor.ctx, decision="decline", reason="x")
    assert err.value.code == "invalid_transition"

    second = failed_job(station, supervisor, courier)
    redirect(second, supervisor, "上海市黄浦区南京东路1号", *SHANGHAI)
    exc2 = SupervisorException.objects.get(job=second)
    supervisor_exception_resolve(exception_id=exc2.pk, ctx=supervisor.ctx, decision="decline", reason="太远")
    j2 = Job.objects.get(pk=second.pk)
    assert (j2.status, j2.next_step["kind"], j2.next_step["redirect_declined"]) == (
        "assigned",
        "retry",
        "太远",
    )


@pytest.mark.parametrize(
    ("address", "lat", "lng", "code"),
    [
        ("短", None, None, "invalid"),
        ("杭州市西湖区古墩路88号", 30.3, None, "invalid_coordinates"),
        ("杭州市西湖区古墩路88号", 91.0, 120.0, "invalid_coordinates"),
    ],
)
def test_it_refuses_an_unusable_address(job, supervisor, address, lat, lng, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        redirect(job, supervisor, address, lat, lng)
    assert err.value.code == code
    assert Consent.objects.count() == 0


def test_a_second_tap_after_a_redirect_sees_it_and_changes_nothing(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    first = redirect(job, supervisor, "上海市黄浦区南京东路1号", *SHANGHAI)
    second = negotiation_answer(
        negotiation_id=first.negotiation.pk,
        option_key="st",
        channel="link",
        language="zh",
        ctx=Ctx.system(),
        now=NOW + timedelta(minutes=2),
    )
    assert (second.won, second.consent.pk, second.negotiation.chosen_key) == (False, first.consent.pk, "rd")
    assert not PickupHold.objects.exists() and SupervisorException.objects.count() == 1
