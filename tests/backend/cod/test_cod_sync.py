"""The handheld offline: the collection rides on the ``deliver`` op; declarations and signatures are ops too."""

from __future__ import annotations

import pytest

from backend.cod.models import Declaration, Variance
from backend.cod.services import handover_confirm
from backend.shipments.models import Collection
from tests.backend.cod.conftest import cod_job_started
from tests.backend.sync.helpers import op, outcomes, proof, push

pytestmark = pytest.mark.django_db


def test_an_offline_collection_is_recorded_once_however_often_it_is_pushed(
    station, supervisor, courier
) -> None:
    job = cod_job_started(station, supervisor.ctx, courier[0], courier[1].ctx, 6_600)
    deliver = op(
        courier[1],
        "deliver",
        {"job_id": job.pk, "proof": proof(cod_collected_fen=6_600, cod_method="cash")},
    )
    assert outcomes(push(courier[1], [deliver])) == [("applied", "")]
    again = push(courier[1], [deliver])["results"][0]
    assert (again["outcome"], again["original"]) == ("duplicate", "applied")
    row = Collection.objects.get()
    assert (row.amount_fen, row.op_id, row.courier_id) == (6_600, deliver["op_id"], courier[0].pk)


def test_an_offline_delivery_with_the_wrong_amount_is_rejected_and_records_no_money(
    station, supervisor, courier
) -> None:
    job = cod_job_started(station, supervisor.ctx, courier[0], courier[1].ctx, 6_600)
    deliver = op(courier[1], "deliver", {"job_id": job.pk, "proof": proof(cod_collected_fen=6_000)})
    assert outcomes(push(courier[1], [deliver])) == [("rejected", "cod_amount_mismatch")]
    assert not Collection.objects.exists()


def test_a_declaration_and_a_variance_signature_sync_once(station, supervisor, courier) -> None:
    declare = op(courier[1], "cod_declare", {"declared_fen": 500})
    assert outcomes(push(courier[1], [declare, declare])) == [("applied", ""), ("duplicate", "")]
    assert Declaration.objects.get().declared_fen == 500
    h = handover_confirm(
        courier_id=courier[0].pk, ctx=supervisor.ctx, expected_fen=0, received_fen=500, reason="多交"
    )
    sign = op(courier[1], "cod_sign", {"variance_id": h.variance.pk, "note": "是我多交的"})
    assert outcomes(push(courier[1], [sign])) == [("applied", "")]
    assert Variance.objects.get().courier_note == "是我多交的"


def test_malformed_cod_ops_are_rejected(courier) -> None:
    bad = [
        op(courier[1], "cod_declare", {"declared_fen": -1}),
        op(courier[1], "cod_sign", {"variance_id": "x"}),
    ]
    assert outcomes(push(courier[1], bad)) == [("rejected", "malformed_op"), ("rejected", "malformed_op")]
