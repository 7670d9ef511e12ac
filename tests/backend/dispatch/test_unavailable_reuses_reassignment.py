""" "Courier unavailable" moves every job through the one reassignment service, and previews the ETAs it writes."""

from __future__ import annotations

from typing import Any

import pytest

from backend.couriers.models import Courier, Station
from backend.dispatch.models import AssignmentDecision, DecisionRule
from backend.dispatch.services import JobVersion, courier_unavailable_apply, courier_unavailable_preview
from backend.dispatch.services import unavailable as unavailable_module
from backend.dispatch.services.planning import ETA_WRITE_MIN_S
from backend.dispatch.services.reassignment import Reassigned
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db

NOW = at(9, 0)


def test_every_move_goes_through_job_reassign_and_lands_at_the_previewed_eta(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gone, east, west = courier[0], other_courier[0], make_courier(station)[0]
    given_to(job_at(station, supervisor.ctx, 3.0), east, supervisor.ctx)
    given_to(job_at(station, supervisor.ctx, -3.0), west, supervisor.ctx)
    jobs = [
        given_to(job_at(station, supervisor.ctx, km), gone, supervisor.ctx) for km in (2.0, 2.5, -2.0, -2.5)
    ]
    calls: list[int] = []
    real = unavailable_module.job_reassign

    def spy(**kwargs: Any) -> Reassigned:
        calls.append(kwargs["job_id"])
        assert kwargs["rule"] == DecisionRule.COURIER_UNAVAILABLE
        return real(**kwargs)

    monkeypatch.setattr(unavailable_module, "job_reassign", spy)
    preview = courier_unavailable_preview(courier_id=gone.pk, ctx=supervisor.ctx, now=NOW)
    assert {m.job_id for m in preview.moves} == {j.pk for j in jobs}
    assert set(preview.etas) >= {j.pk for j in jobs}

    courier_unavailable_apply(
        courier_id=gone.pk,
        reason="sick",
        jobs=[JobVersion(j.pk, refresh(j).version) for j in jobs],
        ctx=supervisor.ctx,
        preview_token=preview.token,
        now=NOW,
    )

    assert sorted(calls) == sorted(j.pk for j in jobs)
    for m in preview.moves:
        job = refresh(next(j for j in jobs if j.pk == m.job_id))
        assert job.courier_id == m.to_courier_id
        assert job.eta is not None and abs((job.eta - preview.etas[job.pk]).total_seconds()) < ETA_WRITE_MIN_S
        decision = AssignmentDecision.objects.get(job_id=job.pk)
        assert (decision.rule, decision.added_m, decision.added_s) == (
            DecisionRule.COURIER_UNAVAILABLE,
            m.added_m,
            m.added_s,
        )
