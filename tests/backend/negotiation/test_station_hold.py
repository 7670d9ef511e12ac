"""Hold at the station: the customer's 6-digit pickup code (derived, never stored or fed), checked
at the counter with an attempt limit; the right code hands the parcel over with a ``station``
proof that names the consent; a locked hold needs a supervisor."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend.common.errors import DomainError
from backend.negotiation import pickup_codes
from backend.negotiation.models import NegotiationEvent, PickupHold, SupervisorException
from backend.negotiation.selectors import supervisor_exceptions_open
from backend.negotiation.services import negotiation_answer, pickup_hand_over, supervisor_exception_resolve
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db

AT = NOW + timedelta(hours=3)


def held(job, supervisor) -> tuple[Job, PickupHold, str]:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    negotiation_answer(
        negotiation_id=n.pk, option_key="st", channel="link", language="zh", ctx=Ctx.system(), now=NOW
    )
    # The courier brings the parcel back to the station at the end of the round.
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    hold = PickupHold.objects.get(job=job)
    return Job.objects.get(pk=job.pk), hold, pickup_codes.code_of(hold.secret)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def hand_over(job, supervisor, code, **kw):  # type: ignore[no-untyped-def]
    return pickup_hand_over(job_id=job.pk, code=code, ctx=supervisor.ctx, recipient_name="李四", now=AT, **kw)


def test_the_right_code_hands_the_parcel_over_with_a_station_proof_naming_the_consent(
    job, supervisor
) -> None:  # type: ignore[no-untyped-def]
    job, hold, code = held(job, supervisor)
    done = hand_over(job, supervisor, code)
    assert (done.status, done.shipment.status) == ("completed", "delivered")
    delivered = TrackingEvent.objects.get(job=job, kind="delivered")
    assert delivered.details == {"method": "station", "relation": "self", "consent_id": hold.consent_id}
    assert TrackingEvent.objects.filter(job=job, kind="held").count() == 1
    assert done.proof.method == "station" and done.proof.recipient_name == "李四"
    hold.refresh_from_db()
    assert hold.handed_over_at == AT
    # The code was never written anywhere: not in the feeds, the events, the job.
    everything = json.dumps(
        [
            list(FeedEntry.objects.values_list("payload", flat=True)),
            list(TrackingEvent.objects.values_list("details", flat=True)),
            list(NegotiationEvent.objects.values_list("details", flat=True)),
            done.next_step,
        ]
    )
    assert f'"{code}"' not in everything
    with pytest.raises(DomainError) as again:
        hand_over(job, supervisor, code)
    assert again.value.code == "not_found"  # handed over once


def test_wrong_codes_count_and_lock_the_hold_for_a_supervisor(job, supervisor, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PARCELRUN_PICKUP_CODE_MAX_ATTEMPTS = 3
    job, hold, code = held(job, supervisor)
    for left in (2, 1):
        with pytest.raises(DomainError) as err:
            hand_over(job, supervisor, wrong(code))
        assert (err.value.code, err.value.details["attempts_left"]) == ("pickup_code_wrong", left)
    with pytest.raises(DomainError) as err:
        hand_over(job, supervisor, wrong(code))
    assert err.value.code == "pickup_code_locked"
    hold.refresh_from_db()
    assert (hold.failed_attempts, hold.locked_at) == (3, AT)
    # Locked: even the right code is refused until a supervisor unlocks it.
    with pytest.raises(DomainError) as err:
        hand_over(job, supervisor, code)
    assert err.value.code == "pickup_code_locked"
    assert Job.objects.get(pk=job.pk).status == "failed"
    exc = supervisor_exceptions_open(station_id=job.station_id).get()
    assert (exc.kind, exc.job_id) == ("pickup_code_locked", job.pk)
    supervisor_exception_resolve(
        exception_id=exc.pk, ctx=supervisor.ctx, decision="accept", reason="ID card checked", now=AT
    )
    hold.refresh_from_db()
    assert (hold.failed_attempts, hold.locked_at) == (0, None)
    assert hand_over(job, supervisor, code).status == "completed"


def test_a_courier_cannot_hand_over_at_the_counter(job, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job, _, code = held(job, supervisor)
    with pytest.raises(DomainError) as err:
        pickup_hand_over(job_id=job.pk, code=code, ctx=courier[1].ctx, recipient_name="x", now=AT)
    assert err.value.code == "wrong_role"
    assert PickupHold.objects.get().failed_attempts == 0


def test_rest_hand_over_keeps_a_wrong_attempt_and_delivers_with_the_right_code(
    job, supervisor, other_supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    job, hold, code = held(job, supervisor)
    url = f"/api/v1/jobs/{job.pk}/hand-over"
    body = {"code": wrong(code), "recipient_name": "李四"}
    r = Api().post(url, body, as_=supervisor)
    assert (r.status_code, r.json()["code"], r.json()["details"]["attempts_left"]) == (
        422,
        "pickup_code_wrong",
        4,
    )
    assert PickupHold.objects.get().failed_attempts == 1  # committed although the request failed
    assert Api().post(url, {**body, "code": "12345"}, as_=supervisor).status_code == 400
    assert Api().post(url, {**body, "code": code}, as_=other_supervisor).status_code == 404
    assert Api().post(url, {**body, "code": code}, as_=courier[1]).status_code == 403
    ok = Api().post(url, {**body, "code": code}, as_=supervisor)
    assert (ok.status_code, ok.json()["status"]) == (200, "completed")
    assert SupervisorException.objects.count() == 0
