"""An ``id_check`` or ``high_value`` parcel is handed over in person, with the ID's type and last 4.

parcelkit/rules/handling.py, enforced by ``ProofInput.check_handling`` for the REST ``deliver``
and the handheld's sync ``deliver`` op alike: locker, station, guard → ``handover_in_person_required``;
an id_check parcel signed by family → ``id_check_self_only``; no document → ``id_check_required``.
Only the type and the last four characters are stored, never a whole ID number.
"""

from __future__ import annotations

from typing import Any

import pytest

from backend.shipments import services as svc
from backend.shipments.models import Job, ProofOfDelivery
from tests.backend.api.conftest import Api
from tests.backend.sync.helpers import op, outcomes, proof, push
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db

SHA = "0f" * 32
ID = {"id_type": "resident_id", "id_last4": "123x"}


def flagged(station: Any, supervisor: Any, courier: Any, *flags: str) -> Job:
    job = make_job(station, supervisor.ctx, "delivery", handling=list(flags))
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    return svc.job_start(job_id=job.pk, ctx=courier[1].ctx)


def deliver(job: Job, courier: Any, body: dict[str, Any], language: str = "en") -> Any:
    return Api().post(
        f"/api/v1/jobs/{job.pk}/deliver", body, as_=courier[1], headers={"Accept-Language": language}
    )


def test_it_refuses_an_id_check_parcel_without_the_id(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "id_check")
    r = deliver(job, courier, proof())
    assert (r.status_code, r.json()["code"]) == (400, "id_check_required")
    assert r.json()["message"] == (
        "This parcel needs an ID check: record the ID type and the last 4 characters of its number."
    )
    assert r.json()["details"] == {"handling": ["id_check"]}
    assert Job.objects.get(pk=job.pk).status == "started"


def test_the_refusal_is_in_chinese_for_a_chinese_handheld(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "high_value", "id_check")
    r = deliver(job, courier, proof(recipient_relation="family", **ID), language="zh-hans")
    assert (r.status_code, r.json()["code"]) == (409, "id_check_self_only")
    assert r.json()["message"] == "此件需验证件：只能由收件人本人签收。"
    r = deliver(job, courier, proof(), language="zh-hans")
    assert r.json()["message"] == "此件需验证件：请登记证件类型和证件号后4位。"


@pytest.mark.parametrize("bad", [{"id_type": "library_card"}, {"id_last4": "12"}, {"id_last4": "12 4"}])
def test_a_wrong_document_is_refused(station, supervisor, courier, bad) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "high_value")
    r = deliver(job, courier, proof(**{**ID, **bad}))
    assert (r.status_code, r.json()["code"]) == (400, "id_check_required")


@pytest.mark.parametrize(
    "body",
    [
        {"method": "photo", "recipient_relation": "guard", "media_sha256": [SHA], **ID},
        {
            "method": "locker",
            "recipient_relation": "locker",
            "media_sha256": [SHA],
            **ID,
            "locker_compartment": "B07",
            "locker_code": "5521",
            "consent_name": "李四",
            "consent_relation": "self",
            "consent_call_record": "call 09:58",
        },
        {
            "method": "station",
            "recipient_relation": "station",
            **ID,
            "consent_name": "李四",
            "consent_relation": "self",
            "consent_call_record": "call 09:58",
        },
    ],
    ids=["guard", "locker", "station"],
)
@pytest.mark.parametrize("flag", ["id_check", "high_value"])
def test_it_is_never_left_with_a_guard_a_locker_or_a_station(
    station, supervisor, courier, body, flag
) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, flag)
    r = deliver(job, courier, body)
    assert (r.status_code, r.json()["code"]) == (409, "handover_in_person_required")
    assert r.json()["message"].startswith("This parcel (ID check / high value) must be handed over in person")
    assert Job.objects.get(pk=job.pk).status == "started"


def test_the_recipient_with_their_id_may_sign_and_only_the_last_4_are_kept(
    station, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "id_check", "high_value", "fragile")
    r = deliver(job, courier, proof(**ID))
    assert (r.status_code, r.json()["status"]) == (200, "completed")
    pod = ProofOfDelivery.objects.get(job=job)
    assert (pod.id_type, pod.id_last4) == ("resident_id", "123X")


def test_a_family_member_with_their_own_id_may_sign_for_a_high_value_parcel(
    station, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "high_value")
    r = deliver(
        job,
        courier,
        proof(recipient_relation="family", recipient_name="王五", id_type="passport", id_last4="E123"),
    )
    assert r.status_code == 200, r.json()
    pod = ProofOfDelivery.objects.get(job=job)
    assert (pod.recipient_relation, pod.id_type, pod.id_last4) == ("family", "passport", "E123")


def test_an_unflagged_parcel_needs_no_id_and_keeps_none(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "fragile", "call_before")
    r = deliver(job, courier, proof(recipient_relation="family", **ID))
    assert r.status_code == 200, r.json()
    assert (ProofOfDelivery.objects.get(job=job).id_type, ProofOfDelivery.objects.get(job=job).id_last4) == (
        "",
        "",
    )


def test_a_longer_number_than_4_is_refused_by_the_api(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "id_check")
    r = deliver(job, courier, proof(id_type="resident_id", id_last4="11010519491231002X"))
    assert (r.status_code, r.json()["code"]) == (400, "invalid")
    assert not ProofOfDelivery.objects.filter(job=job).exists()


def test_the_sync_deliver_op_refuses_then_accepts_with_the_id(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "id_check")
    me = courier[1]
    body = push(
        me, [op(me, "deliver", {"job_id": job.pk, "proof": proof(recipient_relation="family", **ID)})]
    )
    assert outcomes(body) == [("rejected", "id_check_self_only")]
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()})])
    assert outcomes(body) == [("rejected", "id_check_required")]
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof(**ID)})])
    assert outcomes(body) == [("applied", "")]
    assert Job.objects.get(pk=job.pk).status == "completed"
    assert ProofOfDelivery.objects.get(job=job).id_last4 == "123X"


def test_the_sync_op_refuses_a_whole_id_number(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = flagged(station, supervisor, courier, "high_value")
    me = courier[1]
    whole = proof(id_type="resident_id", id_last4="11010519491231002X")
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": whole})])
    assert outcomes(body) == [("rejected", "id_check_required")]
    assert not ProofOfDelivery.objects.filter(job=job).exists()
