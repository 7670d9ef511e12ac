"""A locker or station delivery needs the recipient's consent: a negotiation answer or an
on-the-spot consent taken by phone. Refused with ``consent_required`` otherwise, through REST and
through the handheld's sync ``deliver`` op."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.negotiation.services import negotiation_answer
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import Job, TrackingEvent
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import NOW, offer
from tests.backend.sync.helpers import op, outcomes, push, ready_job

pytestmark = pytest.mark.django_db

SHA = "0f" * 32
SPOT = {
    "consent_name": "李四",
    "consent_relation": "self",
    "consent_call_record": "call 2026-11-24 09:58, 40 s",
}


def locker(**extra: object) -> dict[str, object]:
    return {"method": "locker", "recipient_relation": "locker", "media_sha256": [SHA], **extra}


def started(station, supervisor, courier) -> Job:  # type: ignore[no-untyped-def]
    job = ready_job(station, supervisor, courier[0])
    return svc.job_start(job_id=job.pk, ctx=courier[1].ctx)


def answered_station_job(job, supervisor, courier) -> tuple[Job, int]:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    result = negotiation_answer(
        negotiation_id=n.pk, option_key="st", channel="link", language="zh", ctx=Ctx.system(), now=NOW
    )
    return svc.job_start(job_id=job.pk, ctx=courier[1].ctx), result.consent.pk


def test_rest_refuses_a_locker_proof_without_consent(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = started(station, supervisor, courier)
    r = Api().post(f"/api/v1/jobs/{job.pk}/deliver", locker(), as_=courier[1])
    assert (r.status_code, r.json()["code"]) == (409, "consent_required")
    assert r.json()["details"]["missing"] == ["name", "relation", "call_record"]
    assert Job.objects.get(pk=job.pk).status == "started"


def test_rest_takes_an_on_the_spot_consent_and_records_it(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = started(station, supervisor, courier)
    r = Api().post(f"/api/v1/jobs/{job.pk}/deliver", locker(**SPOT), as_=courier[1])
    assert (r.status_code, r.json()["status"]) == (200, "completed")
    event = TrackingEvent.objects.get(job=job, kind="delivered")
    assert event.details["consent_on_the_spot"] == {
        "name": "李四",
        "relation": "self",
        "call_record": "call 2026-11-24 09:58, 40 s",
    }


def test_rest_takes_the_customers_answer_and_refuses_another_consent_id(job, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job, consent_id = answered_station_job(job, supervisor, courier)
    proof = {"method": "station", "recipient_relation": "station"}
    wrong = Api().post(
        f"/api/v1/jobs/{job.pk}/deliver", {**proof, "consent_id": consent_id + 1}, as_=courier[1]
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "consent_required")
    ok = Api().post(f"/api/v1/jobs/{job.pk}/deliver", {**proof, "consent_id": consent_id}, as_=courier[1])
    assert ok.status_code == 200, ok.json()
    assert TrackingEvent.objects.get(job=job, kind="delivered").details["consent_id"] == consent_id


def test_other_proofs_need_no_consent(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = started(station, supervisor, courier)
    r = Api().post(
        f"/api/v1/jobs/{job.pk}/deliver",
        {"method": "photo", "recipient_relation": "family", "media_sha256": [SHA]},
        as_=courier[1],
    )
    assert r.status_code == 200


def test_the_sync_deliver_op_refuses_then_accepts_with_consent(job, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job, consent_id = answered_station_job(job, supervisor, courier)
    me = courier[1]
    at = NOW + timedelta(minutes=1)
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": locker()}, event_at=at)])
    assert outcomes(body) == [("rejected", "consent_required")]
    body = push(
        me, [op(me, "deliver", {"job_id": job.pk, "proof": locker(consent_id=consent_id)}, event_at=at)]
    )
    assert outcomes(body) == [("applied", "")]
    assert Job.objects.get(pk=job.pk).status == "completed"
