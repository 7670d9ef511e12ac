"""An ID-check / high-value parcel held at the station is not handed over at the counter: the
counter has no ID step (parcelkit/rules/handling.py refuses a ``station`` proof for it)."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.shipments.models import Job, Shipment
from tests.backend.negotiation.test_station_hold import hand_over, held

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("flag", ["id_check", "high_value"])
def test_the_counter_refuses_a_flagged_parcel_and_changes_nothing(job, supervisor, flag) -> None:  # type: ignore[no-untyped-def]
    Shipment.objects.filter(pk=job.shipment_id).update(handling=[flag])
    job, _hold, code = held(job, supervisor)
    with pytest.raises(DomainError) as refused:
        hand_over(job, supervisor, code)
    assert refused.value.code == "handover_in_person_required"
    job.refresh_from_db()
    assert job.status != "completed" and Job.objects.get(pk=job.pk).shipment.status != "delivered"
