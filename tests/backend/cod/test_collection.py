"""Money at the door: a COD delivery needs its collection; a mismatch or a refusal is no delivery."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.shipments import services as svc
from backend.shipments.models import Collection, DeliveryAttempt, Job
from backend.shipments.services.collections import collection_correct
from backend.shipments.states import JobStatus
from tests.backend.cod.conftest import paid

pytestmark = pytest.mark.django_db


def _refused(job: Job, ctx, proof) -> DomainError:
    with pytest.raises(DomainError) as exc:
        svc.job_deliver(job_id=job.pk, ctx=ctx, proof=proof)
    assert Job.objects.get(pk=job.pk).status == JobStatus.STARTED
    assert not Collection.objects.exists()
    return exc.value


def test_a_cod_delivery_without_the_collection_is_refused(cod_job, courier) -> None:
    err = _refused(cod_job, courier[1].ctx, paid(0))
    assert (err.code, err.details["expected_fen"]) == ("cod_amount_mismatch", 12_345)


@pytest.mark.parametrize("amount", [12_344, 12_346, 6_000])
def test_an_amount_other_than_the_one_due_is_refused(cod_job, courier, amount) -> None:
    assert _refused(cod_job, courier[1].ctx, paid(amount)).code == "cod_amount_mismatch"


def test_a_mobile_payment_needs_its_reference_and_an_unknown_method_is_refused(cod_job, courier) -> None:
    assert _refused(cod_job, courier[1].ctx, paid(12_345, "wechat")).code == "proof_incomplete"
    assert _refused(cod_job, courier[1].ctx, paid(12_345, "bitcoin")).code == "proof_incomplete"


def test_money_for_a_parcel_without_cod_is_refused(station, supervisor, courier) -> None:
    from tests.backend.cod.conftest import cod_job_started

    job = cod_job_started(station, supervisor.ctx, courier[0], courier[1].ctx, cod_fen=0)
    assert _refused(job, courier[1].ctx, paid(500)).code == "cod_amount_mismatch"


def test_cash_collected_is_one_row_with_the_delivery(cod_job, courier) -> None:
    svc.job_deliver(job_id=cod_job.pk, ctx=courier[1].ctx, proof=paid(12_345))
    row = Collection.objects.get()
    assert (row.kind, row.method, row.amount_fen, row.expected_fen, row.courier_id, row.job_id) == (
        "cod",
        "cash",
        12_345,
        12_345,
        courier[0].pk,
        cod_job.pk,
    )
    assert row.service_date == cod_job.service_date


def test_a_qr_payment_is_recorded_with_its_reference(cod_job, courier) -> None:
    svc.job_deliver(job_id=cod_job.pk, ctx=courier[1].ctx, proof=paid(12_345, "alipay", " 2026112422001 "))
    row = Collection.objects.get()
    assert (row.method, row.payment_ref) == ("alipay", "2026112422001")


@pytest.mark.parametrize("reason", ["cod_refused", "cod_partial"])
def test_a_refusal_or_partial_payment_is_a_failed_attempt_with_its_reason(cod_job, courier, reason) -> None:
    svc.job_fail(job_id=cod_job.pk, ctx=courier[1].ctx, reason_code=reason, note="只有60元")
    attempt = DeliveryAttempt.objects.get(job=cod_job)
    assert (attempt.succeeded, attempt.reason_code) == (False, reason)
    assert Job.objects.get(pk=cod_job.pk).status == JobStatus.FAILED
    assert not Collection.objects.exists()


def test_cod_reasons_need_a_cod_parcel(station, supervisor, courier) -> None:
    from tests.backend.cod.conftest import cod_job_started

    job = cod_job_started(station, supervisor.ctx, courier[0], courier[1].ctx, cod_fen=0)
    with pytest.raises(DomainError) as exc:
        svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="cod_refused")
    assert exc.value.code == "invalid"


def test_a_correction_is_a_new_row_and_the_record_stays(cod_job, courier, supervisor) -> None:
    svc.job_deliver(job_id=cod_job.pk, ctx=courier[1].ctx, proof=paid(12_345))
    original = Collection.objects.get()
    fix = collection_correct(
        collection_id=original.pk, ctx=supervisor.ctx, amount_fen=-345, method="cash", reason="找零记错"
    )
    original.refresh_from_db()
    assert (original.amount_fen, original.kind) == (12_345, "cod")  # unchanged
    assert (fix.kind, fix.corrects_id, fix.amount_fen, fix.courier_id, fix.reason) == (
        "correction",
        original.pk,
        -345,
        courier[0].pk,
        "找零记错",
    )
    assert sum(Collection.objects.values_list("amount_fen", flat=True)) == 12_000


def test_a_correction_needs_a_reason_a_supervisor_and_a_non_zero_amount(cod_job, courier, supervisor) -> None:
    svc.job_deliver(job_id=cod_job.pk, ctx=courier[1].ctx, proof=paid(12_345))
    pk = Collection.objects.get().pk
    cases = [
        (supervisor.ctx, 100, "", "reason_required"),
        (supervisor.ctx, 0, "x", "invalid"),
        (courier[1].ctx, 100, "x", "wrong_role"),
    ]
    for ctx, amount, reason, code in cases:
        with pytest.raises(DomainError) as exc:
            collection_correct(collection_id=pk, ctx=ctx, amount_fen=amount, method="cash", reason=reason)
        assert exc.value.code == code
    assert Collection.objects.count() == 1


def test_a_pickup_fee_paid_at_the_door_is_a_collection(station, supervisor, courier) -> None:
    from backend.shipments.services.door_inputs import PickupInput
    from tests.fixtures.jobs import make_job

    job = svc.job_assign(
        job_id=make_job(station, supervisor.ctx, "pickup").pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    svc.job_accept(job_id=job.pk, ctx=courier[1].ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    data = PickupInput(
        measured_weight_g=1200,
        weight_source="scale",
        scale_model="ACS-30",
        prohibited_items_absent=True,
        price_fen=1400,
        payment_method="wechat",
        payment_ref="4200001234",
    )
    svc.job_complete_pickup(job_id=job.pk, ctx=courier[1].ctx, data=data)
    row = Collection.objects.get()
    assert (row.kind, row.method, row.amount_fen, row.payment_ref) == (
        "pickup_fee",
        "wechat",
        1400,
        "4200001234",
    )


def test_a_monthly_account_pickup_takes_no_money(station, supervisor, courier) -> None:
    from backend.shipments.services.door_inputs import PickupInput
    from tests.fixtures.jobs import make_job

    job = svc.job_assign(
        job_id=make_job(station, supervisor.ctx, "pickup").pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    svc.job_accept(job_id=job.pk, ctx=courier[1].ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    data = PickupInput(
        measured_weight_g=1200,
        weight_source="scale",
        scale_model="ACS-30",
        prohibited_items_absent=True,
        price_fen=1400,
        payment_method="monthly_account",
    )
    svc.job_complete_pickup(job_id=job.pk, ctx=courier[1].ctx, data=data)
    assert not Collection.objects.exists()
