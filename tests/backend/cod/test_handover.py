"""End of shift: the cash held, the supervisor's handover, the variance's two sign-offs, shift close."""

from __future__ import annotations

import pytest

from backend.cod import selectors
from backend.cod.models import Handover, HandoverItem, ShiftClose, Variance
from backend.cod.services import declaration_record, handover_confirm, shift_close, variance_sign
from backend.common.errors import DomainError
from backend.couriers.models import Courier
from backend.shipments.models import Collection
from backend.shipments.services.collections import collection_correct
from tests.backend.cod.conftest import deliver_cash

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_parcels(station, supervisor, courier) -> int:
    """The courier took 123.45 + 50.00 yuan in cash (and nothing else)."""
    for fen in (12_345, 5_000):
        deliver_cash(station, supervisor.ctx, courier[0], courier[1].ctx, fen)
    return 17_345


def _code(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def test_the_courier_sees_what_they_hold_per_parcel_and_in_total(two_parcels, courier) -> None:
    held = selectors.holding(courier[0])
    assert (held["held_fen"], held["held_count"]) == (17_345, 2)
    assert [p["amount_fen"] for p in held["parcels"]] == [12_345, 5_000]
    assert all(p["tracking_no"].startswith("PR") for p in held["parcels"])


def test_the_shift_cannot_close_with_cash_unreturned(two_parcels, courier, supervisor) -> None:
    with pytest.raises(DomainError) as exc:
        shift_close(courier_id=courier[0].pk, ctx=courier[1].ctx)
    assert (exc.value.code, exc.value.details["held_fen"]) == ("cash_unreturned", 17_345)
    assert _code(lambda: shift_close(courier_id=courier[0].pk, ctx=supervisor.ctx)) == "cash_unreturned"
    assert not ShiftClose.objects.exists()


def test_a_handover_without_variance_settles_the_cash_and_the_shift_closes(
    two_parcels, courier, supervisor
) -> None:
    declaration_record(ctx=courier[1].ctx, declared_fen=17_345)
    h = handover_confirm(
        courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=17_345, received_fen=17_345
    )
    assert (h.expected_fen, h.received_fen, h.declared.declared_fen) == (17_345, 17_345, 17_345)
    assert HandoverItem.objects.filter(handover=h).count() == 2
    assert not Variance.objects.exists()
    assert selectors.holding(courier[0])["held_fen"] == 0
    closed = shift_close(courier_id=courier[0].pk, ctx=courier[1].ctx)
    assert closed.handover_id == h.pk
    assert Courier.objects.get(pk=courier[0].pk).duty_status == "off_duty"


def test_a_short_handover_needs_a_reason_and_becomes_a_variance_with_both_sign_offs(
    two_parcels, courier, supervisor
) -> None:
    confirm = dict(courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=17_345, received_fen=17_000)
    assert _code(lambda: handover_confirm(**confirm)) == "reason_required"
    assert not Handover.objects.exists()
    h = handover_confirm(**confirm, reason="少了3.45元，找零差错")
    v = Variance.objects.get(handover=h)
    assert (v.amount_fen, v.reason, v.supervisor_signed_by_id, v.courier_signed_at) == (
        -345,
        "少了3.45元，找零差错",
        supervisor.user.pk,
        None,
    )
    # The supervisor's signature settles the cash: the shift may close; the courier still signs.
    assert selectors.holding(courier[0])["variances_to_sign"][0]["id"] == v.pk
    shift_close(courier_id=courier[0].pk, ctx=courier[1].ctx)
    signed = variance_sign(variance_id=v.pk, ctx=courier[1].ctx, note="确认")
    assert signed.courier_signed_by_id == courier[1].user.pk
    assert _code(lambda: variance_sign(variance_id=v.pk, ctx=courier[1].ctx)) == "already_signed"
    assert selectors.holding(courier[0])["variances_to_sign"] == []


def test_cash_that_cannot_be_returned_closes_only_with_a_signed_variance(
    two_parcels, courier, supervisor
) -> None:
    handover_confirm(
        courier_id=courier[0].pk,
        ctx=supervisor.ctx,
        expected_fen=17_345,
        received_fen=0,
        reason="现金遗失，已报案",
    )
    assert Variance.objects.get().amount_fen == -17_345
    shift_close(courier_id=courier[0].pk, ctx=supervisor.ctx)


def test_a_stale_amount_is_refused_so_a_double_confirm_takes_nothing_twice(
    two_parcels, courier, supervisor
) -> None:
    handover_confirm(courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=17_345, received_fen=17_345)
    again = dict(courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=17_345, received_fen=17_345)
    with pytest.raises(DomainError) as exc:
        handover_confirm(**again)
    assert (exc.value.code, exc.value.details["expected_fen"]) == ("handover_stale", 0)
    assert Handover.objects.count() == 1


def test_a_correction_after_the_handover_is_held_until_the_next_one(two_parcels, courier, supervisor) -> None:
    handover_confirm(courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=17_345, received_fen=17_345)
    first = Collection.objects.order_by("pk").first()
    collection_correct(
        collection_id=first.pk, ctx=supervisor.ctx, amount_fen=200, method="cash", reason="少记2元"
    )
    assert selectors.holding(courier[0])["held_fen"] == 200
    assert _code(lambda: shift_close(courier_id=courier[0].pk, ctx=courier[1].ctx)) == "cash_unreturned"
    handover_confirm(courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=200, received_fen=200)
    shift_close(courier_id=courier[0].pk, ctx=courier[1].ctx)


def test_mobile_payments_are_not_held(station, supervisor, courier) -> None:
    from backend.shipments import services as svc
    from tests.backend.cod.conftest import cod_job_started, paid

    job = cod_job_started(station, supervisor.ctx, courier[0], courier[1].ctx, 8_800)
    svc.job_deliver(job_id=job.pk, ctx=courier[1].ctx, proof=paid(8_800, "wechat", "4200009999"))
    assert selectors.held_total(courier[0].pk) == {"fen": 0, "count": 0}
    shift_close(courier_id=courier[0].pk, ctx=courier[1].ctx)


def test_only_the_courier_and_their_stations_staff_may_act(
    two_parcels, courier, other_courier, other_supervisor
) -> None:
    confirm = dict(courier_id=courier[0].pk, expected_fen=17_345, received_fen=17_345)
    assert _code(lambda: handover_confirm(ctx=courier[1].ctx, **confirm)) == "wrong_role"
    assert _code(lambda: handover_confirm(ctx=other_supervisor.ctx, **confirm)) == "not_found"
    assert _code(lambda: shift_close(courier_id=courier[0].pk, ctx=other_courier[1].ctx)) == "not_found"
