"""A locker or station delivery needs the recipient's consent: a negotiation answer or an
on-the-spot consent taken by phone. Refused with ``consent_required`` otherwise, through REST and
through the handheld's sync ``deliver`` op."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.negotiation.services import OptionInput, negotiation_answer
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import Job, TrackingEvent
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import NOW, offer, options
from tests.backend.sync.helpers import op, outcomes, push, ready_job

pytestmark = pytest.mark.django_db

SHA = "0f" * 32
SPOT = {
    "consent_name": "李四",
    "consent_relation": "self",
    "consent_call_record": "call 2026-11-24 09:58, 40 s",
}


def locker(**extra: object) -> dict[str, object]:
    return {
        "method": "locker",
        "recipient_relation": "locker",
        "media_sha256": [SHA],
        "locker_compartment": "B07",
        "locker_code": "5521",
        **extra,
    }


def started(station, supervisor, courier) -> Job:  # type: ignore[no-untyped-def]
    job = ready_job(station, supervisor, courier[0])
    return svc.job_start(job_id=job.pk, ctx=courier[1].ctx)


def answered_locker_job(job, supervisor, courier) -> tuple[Job, int]:  # type: ignore[no-untyped-def]
    lk = OptionInput(key="lk", kind="hold_locker", text={"zh": "放入快递柜", "en": "Put it in a locker"})
    n = offer(job, supervisor.ctx, options=[*options(), lk])
    result = negotiation_answer(
        negotiation_id=n.pk, option_key="lk", channel="link", language="zh", ctx=Ctx.system(), now=NOW
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
    job, consent_id = answered_locker_job(job, supervisor, courier)
    proof = locker()
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
    job, consent_id = answered_locker_job(job, supervisor, courier)
    me = courier[1]
    at = NOW + timedelta(minutes=1)
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": locker()}, event_at=at)])
    assert outcomes(body) == [("rejected", "consent_required")]
    body = push(
        me, [op(me, "deliver", {"job_id": job.pk, "proof": locker(consent_id=consent_id)}, event_at=at)]
    )
    assert outcomes(body) == [("applied", "")]
    assert Job.objects.get(pk=job.pk).status == "completed"


@pytest.mark.parametrize(
    ("missing", "value"),
    [
        ("locker_compartment", ""),
        ("locker_compartment", "B 07!"),
        ("locker_code", ""),
        ("locker_code", "12a4"),
    ],
)
def test_a_locker_proof_needs_its_compartment_and_code(station, supervisor, courier, missing, value) -> None:  # type: ignore[no-untyped-def]
    job = started(station, supervisor, courier)
    r = Api().post(f"/api/v1/jobs/{job.pk}/deliver", locker(**SPOT, **{missing: value}), as_=courier[1])
    assert (r.status_code, r.json()["code"]) == (400, "proof_incomplete")
    assert Job.objects.get(pk=job.pk).status == "started"


def test_the_locker_proof_records_compartment_code_and_consent(job, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job, consent_id = answered_locker_job(job, supervisor, courier)
    r = Api().post(f"/api/v1/jobs/{job.pk}/deliver", locker(consent_id=consent_id), as_=courier[1])
    assert r.status_code == 200, r.json()
    details = TrackingEvent.objects.get(job=job, kind="delivered").details
    assert (details["consent_id"], details["locker"]) == (consent_id, {"compartment": "B07", "code": "5521"})


@pytest.mark.parametrize("relation", ["neighbour", "safe_place"])
def test_leaving_it_with_a_neighbour_or_in_a_safe_place_needs_consent(
    station, supervisor, courier, relation
) -> None:  # type: ignore[no-untyped-def]
    job = started(station, supervisor, courier)
    proof = {"method": "photo", "recipient_relation": relation, "media_sha256": [SHA]}
    refused = Api().post(f"/api/v1/jobs/{job.pk}/deliver", proof, as_=courier[1])
    assert (refused.status_code, refused.json()["code"]) == (409, "consent_required")
    ok = Api().post(f"/api/v1/jobs/{job.pk}/deliver", {**proof, **SPOT}, as_=courier[1])
    assert ok.status_code == 200, ok.json()
