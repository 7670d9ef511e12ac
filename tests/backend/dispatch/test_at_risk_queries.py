"""The at-risk alerts of a re-plan are raised and resolved in a constant number of statements: a
courier still out at the shift's end has every stop flagged at once (one statement per stop before)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.couriers.models import Courier, Station
from backend.dispatch.models import AlertKind, DispatchAlert
from backend.dispatch.services import courier_replan
from backend.dispatch.services.audit import alert_raise
from tests.backend.dispatch.factories import at, given_to, job_at
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db


def _alert_statements(station: Station, supervisor: Person, stops: int) -> int:
    """How many statements on the alerts table an evening re-plan of ``stops`` stops makes."""
    courier, _ = make_courier(station)
    jobs = [given_to(job_at(station, supervisor.ctx, 1.0 + i), courier, supervisor.ctx) for i in range(stops)]
    # One already flagged (its message is refreshed, not duplicated).
    alert_raise(job=jobs[0], kind=AlertKind.AT_RISK, courier_id=courier.pk, message="earlier")
    with CaptureQueriesContext(connection) as queries:
        run = courier_replan(courier_id=courier.pk, trigger="evening", now=at(21, 0))
    assert sorted(run.diff["at_risk"]) == sorted(j.pk for j in jobs)
    open_ = DispatchAlert.objects.filter(job__in=jobs, kind=AlertKind.AT_RISK, resolved_at__isnull=True)
    assert open_.count() == stops
    assert set(open_.values_list("message", flat=True)) == {
        f"{courier.employee_no}'s route cannot serve this job within its window, capacity or shift"
    }
    table = DispatchAlert._meta.db_table
    return sum(f'"{table}"' in q["sql"] for q in queries.captured_queries)


def test_flagging_every_stop_costs_the_same_statements_for_two_stops_or_twelve(
    station: Station, supervisor: Person
) -> None:
    few = _alert_statements(station, supervisor, 2)
    many = _alert_statements(station, supervisor, 12)
    assert few == many <= 7


def test_stops_served_in_time_again_have_their_alerts_resolved(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = [given_to(job_at(station, supervisor.ctx, 1.0 + i), courier[0], supervisor.ctx) for i in range(3)]
    for job in jobs:
        alert_raise(job=job, kind=AlertKind.AT_RISK, courier_id=courier[0].pk, message="behind")
    courier_replan(courier_id=courier[0].pk, trigger="morning", now=at(7, 0))
    assert not DispatchAlert.objects.filter(job__in=jobs, resolved_at__isnull=True).exists()
