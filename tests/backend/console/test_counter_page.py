"""The station counter page: the parcels waiting for their customers, and a hand-over with the
pickup code through ``pickup_hand_over`` (attempts counted, lock, COD), scoped to the station.

The console's conftest freezes the instant at 10:00 at the station on the fixtures' service date."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.couriers.models import Courier, Station
from backend.negotiation import pickup_codes
from backend.negotiation.models import NegotiationEvent, PickupHold
from backend.negotiation.services import negotiation_answer
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from tests.backend.negotiation.conftest import NOW, failed_job, offer
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def held_at_station(job: Job, supervisor: Person) -> tuple[Job, str]:
    """The customer chose "collect at the station"; the courier brought the parcel back."""
    n = offer(job, supervisor.ctx)
    negotiation_answer(
        negotiation_id=n.pk, option_key="st", channel="link", language="zh", ctx=Ctx.system(), now=NOW
    )
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    hold = PickupHold.objects.get(job=job)
    return Job.objects.get(pk=job.pk), pickup_codes.code_of(hold.secret)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def parcel(station: Station, supervisor: Person, courier: tuple[Courier, Person]) -> tuple[Job, str]:
    return held_at_station(failed_job(station, supervisor, courier), supervisor)


def test_the_counter_lists_waiting_parcels_masked_and_hands_one_over_with_its_code(
    client: Client, station: Station, supervisor: Person, parcel: tuple[Job, str]
) -> None:
    job, code = parcel
    client.force_login(supervisor.user)
    url = f"/console/{station.code}/counter/"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'data-job="{job.pk}"' in html and job.shipment.tracking_no in html
    assert "柜台取件" in html and "取件码" in html
    assert job.shipment.recipient_name not in html  # masked: the clerk hears the code, not the name
    assert job.shipment.recipient_phone not in html and job.shipment.recipient_phone[-4:] in html
    assert code not in html  # the code is never on the page
    found = client.get(url, {"q": job.shipment.tracking_no}).content.decode()
    assert f'data-job="{job.pk}"' in found
    assert f'data-job="{job.pk}"' not in client.get(url, {"q": "NOSUCH"}).content.decode()

    post = f"/console/{station.code}/counter/hand-over"
    form = {"job_id": job.pk, "recipient_name": "王五", "recipient_relation": "family"}
    refused = client.post(post, {**form, "code": wrong(code)}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 422
    assert (
        "取件码不正确" in refused.content.decode()
        and 'data-code="pickup_code_wrong"' in refused.content.decode()
    )
    assert PickupHold.objects.get(job=job).failed_attempts == 1  # counted although refused
    done = client.post(post, {**form, "code": f" {code} "})
    assert done.status_code == 302 and done["Location"] == url
    job.refresh_from_db()
    assert (job.status, job.shipment.status) == ("completed", "delivered")
    assert (job.proof.method, job.proof.recipient_name, job.proof.recipient_relation) == (
        "station",
        "王五",
        "family",
    )
    assert NegotiationEvent.objects.filter(kind="handed_over").count() == 1
    after = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'data-job="{job.pk}"' not in after
    assert f"已交付：{job.shipment.tracking_no}" in after  # the flash message after the redirect


def test_bad_forms_and_a_locked_parcel_are_refused_in_words(
    client: Client, station: Station, supervisor: Person, parcel: tuple[Job, str], settings: object
) -> None:
    job, code = parcel
    settings.PARCELRUN_PICKUP_CODE_MAX_ATTEMPTS = 2  # type: ignore[attr-defined]
    client.force_login(supervisor.user)
    post = f"/console/{station.code}/counter/hand-over"
    form = {"job_id": job.pk, "recipient_name": "王五", "recipient_relation": "self"}
    bad = client.post(post, {**form, "code": "12ab"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "6-digit pickup code" in bad.content.decode()
    assert PickupHold.objects.get(job=job).failed_attempts == 0  # a malformed code is no attempt
    assert client.post(post, {**form, "code": wrong(code)}).status_code == 422
    locked = client.post(post, {**form, "code": wrong(code)}, HTTP_ACCEPT_LANGUAGE="en")
    assert locked.status_code == 423 and "locked" in locked.content.decode()
    right = client.post(post, {**form, "code": code})
    assert right.status_code == 423  # the right code does not open a locked parcel
    page = client.get(f"/console/{station.code}/counter/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "a supervisor unlocks it" in page and 'name="code"' not in page
    assert Job.objects.get(pk=job.pk).status == "failed"


def test_cash_on_delivery_is_collected_at_the_counter(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    from tests.fixtures.jobs import make_job

    job = make_job(station, supervisor.ctx, cod_amount_fen=12_345)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="not_home")
    job, code = held_at_station(Job.objects.get(pk=job.pk), supervisor)
    client.force_login(supervisor.user)
    assert "123.45" in client.get(f"/console/{station.code}/counter/").content.decode()
    post = f"/console/{station.code}/counter/hand-over"
    form = {"job_id": job.pk, "code": code, "recipient_name": "王五", "recipient_relation": "self"}
    short = client.post(post, {**form, "cod_collected_yuan": "100"}, HTTP_ACCEPT_LANGUAGE="en")
    assert short.status_code == 409 and "to the fen" in short.content.decode()
    assert client.post(post, {**form, "cod_collected_yuan": "123.45"}).status_code == 302
    assert Job.objects.get(pk=job.pk).status == "completed"


def test_another_stations_counter_and_a_courier_see_nothing(
    client: Client,
    station: Station,
    other_station: Station,
    other_supervisor: Person,
    courier: tuple[Courier, Person],
    parcel: tuple[Job, str],
) -> None:
    job, code = parcel
    client.force_login(other_supervisor.user)
    assert client.get(f"/console/{station.code}/counter/").status_code == 404
    theirs = client.get(f"/console/{other_station.code}/counter/").content.decode()
    assert job.shipment.tracking_no not in theirs
    form = {"job_id": job.pk, "code": code, "recipient_name": "王五", "recipient_relation": "self"}
    refused = client.post(f"/console/{other_station.code}/counter/hand-over", form)
    assert refused.status_code == 404  # not held at their station: not found, and no attempt counted
    assert PickupHold.objects.get(job=job).failed_attempts == 0
    assert Job.objects.get(pk=job.pk).status == "failed"
    client.force_login(courier[1].user)
    assert client.get(f"/console/{station.code}/counter/").status_code in (403, 404)
