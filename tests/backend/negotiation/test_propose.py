"""A courier or a supervisor proposes a time ("14:30, OK?"): service, REST, and the sync op."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.common.errors import DomainError
from backend.negotiation.models import Negotiation
from backend.negotiation.services import negotiation_propose
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import NOW, offer
from tests.backend.sync.helpers import op, outcomes, push

pytestmark = pytest.mark.django_db


def test_a_courier_proposes_a_time_on_their_job(job, courier, supervisor) -> None:  # type: ignore[no-untyped-def]
    old = offer(job, supervisor.ctx)
    n = negotiation_propose(
        job_id=job.pk,
        ctx=courier[1].ctx,
        window_start=NOW.replace(hour=14, minute=30),
        window_end=NOW.replace(hour=15),
        now=NOW,
    )
    assert (n.trigger, n.default_key, n.deadline) == ("courier", "keep", NOW + timedelta(hours=2))
    assert [o["text"]["zh"] for o in n.options] == ["14:30–15:00", "按原计划派送"]
    old.refresh_from_db()
    assert old.state == "superseded"


def test_a_time_in_the_past_is_refused(job, courier) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        negotiation_propose(
            job_id=job.pk, ctx=courier[1].ctx, window_start=NOW, window_end=NOW + timedelta(hours=1), now=NOW
        )
    assert err.value.code == "invalid_time_window"


def test_rest_and_sync_propose(job, courier, other_courier, frozen) -> None:  # type: ignore[no-untyped-def]
    body = {"window_start": NOW.replace(hour=16).isoformat(), "window_end": NOW.replace(hour=17).isoformat()}
    r = Api().post(f"/api/v1/jobs/{job.pk}/propose", body, as_=courier[1])
    assert (r.status_code, r.json()["trigger"], r.json()["state"]) == (201, "courier", "offered")
    assert Api().post(f"/api/v1/jobs/{job.pk}/propose", body, as_=other_courier[1]).status_code == 404
    me = courier[1]
    pushed = push(me, [op(me, "propose", {"job_id": job.pk, **body})])
    assert outcomes(pushed) == [("applied", "")]
    assert pushed["results"][0]["negotiation_id"] == Negotiation.objects.get(state="offered").pk
    bad = push(me, [op(me, "propose", {"job_id": job.pk, "window_start": "soon"})])
    assert outcomes(bad) == [("rejected", "malformed_op")]
