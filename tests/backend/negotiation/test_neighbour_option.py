"""Neighbour / safe place: the customer names who or where; the consent records it; the job goes
back to its courier with it; the courier's proof then names that consent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.common.errors import DomainError
from backend.negotiation.models import Consent
from backend.negotiation.services import OptionInput, negotiation_answer
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import Job, TrackingEvent
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import NOW, offer, options

pytestmark = pytest.mark.django_db

SHA = "0f" * 32
NEIGHBOUR = OptionInput(key="nb", kind="neighbour", text={"zh": "交给邻居代收", "en": "A neighbour"})
PLACE = OptionInput(key="sp", kind="safe_place", text={"zh": "放在安全地点", "en": "A safe place"})


def choose(job, supervisor, key: str, leave_with: str):  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx, options=[*options(), NEIGHBOUR, PLACE])
    return negotiation_answer(
        negotiation_id=n.pk,
        option_key=key,
        channel="link",
        language="en",
        ctx=Ctx.system(),
        leave_with=leave_with,
        now=NOW + timedelta(minutes=1),
    )


@pytest.mark.parametrize(
    ("key", "field", "relation"), [("nb", "neighbour", "neighbour"), ("sp", "place", "safe_place")]
)
def test_the_named_neighbour_or_place_is_the_consent_the_proof_names(
    job, supervisor, courier, key, field, relation
) -> None:  # type: ignore[no-untyped-def]
    result = choose(job, supervisor, key, "  王五, 302  ")
    consent = Consent.objects.get()
    assert consent.details == {field: "王五, 302"}
    j = Job.objects.get(pk=job.pk)
    assert (j.status, j.next_step["kind"], j.next_step[field], j.next_step["consent_id"]) == (
        "assigned",
        relation,
        "王五, 302",
        result.consent.pk,
    )
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    proof = {"method": "photo", "recipient_relation": relation, "media_sha256": [SHA]}
    url = f"/api/v1/jobs/{job.pk}/deliver"
    assert Api().post(url, proof, as_=courier[1]).json()["code"] == "consent_required"
    ok = Api().post(url, {**proof, "consent_id": consent.pk}, as_=courier[1])
    assert ok.status_code == 200, ok.json()
    assert TrackingEvent.objects.get(job=job, kind="delivered").details["consent_id"] == consent.pk


@pytest.mark.parametrize("leave_with", ["", " x ", "y" * 101])
def test_who_or_where_must_be_said(job, supervisor, leave_with) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        choose(job, supervisor, "nb", leave_with)
    assert (err.value.code, err.value.details["field"]) == ("invalid", "leave_with")
    assert Consent.objects.count() == 0
