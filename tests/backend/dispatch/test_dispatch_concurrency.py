"""A bulk reassignment racing "re-plan now" of both couriers on real PostgreSQL: no deadlock.

Before the composite services wrote the feed in batch mode and locked their routes up front, a
bulk reassignment (job locks, then the feed counter at its first row, then the giving route's
other jobs) and a re-plan of the giving courier (a job, the counter, the next job) could each hold
what the other waited for, and PostgreSQL killed one with "deadlock detected".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import time

import pytest
from django.db import connection

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.couriers.selectors import station_today
from backend.dispatch.services import JobVersion, courier_replan, reassign_jobs
from backend.shipments.models import FeedEntry, Job
from tests.backend.api.conftest import Api
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = at(9, 0)


def _together(actions: list[Callable[[], object]]) -> list[BaseException]:
    """Run the actions at once, one thread and connection each; the unexpected errors they raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            action()
        except DomainError as exc:
            # Losing the race is expected: a re-plan that lost is re-asked (version_conflict), a
            # reassignment whose jobs a re-plan renumbered first is refused whole (reassign_conflict).
            if exc.code not in ("version_conflict", "reassign_conflict"):
                errors.append(exc)
        except BaseException as exc:  # a deadlock is an OperationalError
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a transaction is stuck"
    return errors


def test_a_bulk_reassignment_and_replans_of_both_couriers_do_not_deadlock(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    for _ in range(3):  # a few rounds: the interleaving differs from run to run
        a_jobs = [
            given_to(job_at(station, supervisor.ctx, km), a, supervisor.ctx) for km in (1, 2, 3, 4, 5, 6)
        ]
        for km in (1.5, 2.5, 3.5):
            given_to(job_at(station, supervisor.ctx, km, north_km=1), b, supervisor.ctx)
        moving = [JobVersion(j.pk, refresh(j).version) for j in a_jobs[1::2]]

        errors = _together(
            [
                lambda moving=moving: reassign_jobs(  # type: ignore[misc]
                    jobs=moving, to_courier_id=b.pk, reason="rebalance", ctx=supervisor.ctx, now=NOW
                ),
                lambda: courier_replan(
                    courier_id=a.pk,
                    trigger="re-plan now",
                    ctx=supervisor.ctx,
                    now=NOW,
                    day=NOW.date(),
                    max_iterations=50,
                ),
                lambda: courier_replan(
                    courier_id=b.pk,
                    trigger="re-plan now",
                    ctx=supervisor.ctx,
                    now=NOW,
                    day=NOW.date(),
                    max_iterations=50,
                ),
            ]
        )

        assert errors == []
        owners = {Job.objects.get(pk=jv.job_id).courier_id for jv in moving}
        assert owners in ({a.pk}, {b.pk})  # all moved or none: never half
        cursors = list(FeedEntry.objects.order_by("cursor").values_list("cursor", flat=True))
        assert cursors == list(range(cursors[0], cursors[0] + len(cursors)))  # no gap, no repeat


def test_opposite_bulk_reassignments_and_replans_over_http_answer_2xx_or_4xx(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    # What the outside client ran: "re-plan now" of both couriers while two supervisors move jobs
    # A→B and B→A, each reading the versions it sends. Every answer is 2xx or 4xx, never a 500.
    Courier.objects.update(shift_start=time(0, 0), shift_end=time(23, 59, 59))
    a, b = courier[0], other_courier[0]
    day = station_today(station)
    for i in range(8):
        given_to(job_at(station, supervisor.ctx, 1 + i * 0.5, day=day), a, supervisor.ctx)
        given_to(job_at(station, supervisor.ctx, 1 + i * 0.5, north_km=1, day=day), b, supervisor.ctx)
    answers: list[tuple[int, str]] = []

    def move(frm: Courier, to: Courier) -> Callable[[], object]:
        def go() -> None:
            api = Api()
            for _ in range(4):
                seen = Job.objects.filter(courier=frm).order_by("pk").values_list("pk", "version")
                body = {
                    "jobs": [{"id": pk, "version": v} for pk, v in list(seen)[::2]],
                    "to_courier_id": to.pk,
                    "reason": "rebalance",
                }
                r = api.post("/api/v1/reassignments", body, as_=supervisor)
                answers.append((r.status_code, r.json().get("code", "")))

        return go

    def replan(c: Courier) -> Callable[[], object]:
        def go() -> None:
            api = Api()
            for _ in range(4):
                r = api.post(f"/api/v1/couriers/{c.pk}/replan", {"reason": "re-plan now"}, as_=supervisor)
                answers.append((r.status_code, r.json().get("code", "")))

        return go

    errors = _together([move(a, b), move(b, a), replan(a), replan(b)])

    assert errors == []
    assert len(answers) == 16
    assert all(200 <= status < 500 for status, _ in answers), answers
    assert {code for status, code in answers if status >= 400} <= {"reassign_conflict", "version_conflict"}
    cursors = list(FeedEntry.objects.order_by("cursor").values_list("cursor", flat=True))
    assert cursors == list(range(cursors[0], cursors[0] + len(cursors)))


def test_a_courier_row_lock_does_not_block_commits_that_reference_the_courier(
    courier: tuple[Courier, Person],
) -> None:
    # PostgreSQL checks the (deferred) foreign keys of a transaction's new rows at COMMIT, after its
    # feed-counter lock, with a KEY SHARE lock on each row they name. A FOR UPDATE on a courier
    # (a duty change, a location ping) then made such a commit wait while it held the counter; if
    # the locker went on to the feed counter, PostgreSQL found "deadlock detected" on
    # shipments_feedcounter. Row locks are FOR NO KEY UPDATE: they exclude each other, not FK checks.
    from django.db import transaction

    from backend.couriers.models import DutyStatus
    from backend.couriers.services import courier_set_duty
    from backend.dispatch.services import replan_soon

    c = courier[0]
    locked, release = threading.Event(), threading.Event()

    def hold_the_courier() -> None:
        with transaction.atomic():
            courier_set_duty(courier_id=c.pk, duty_status=DutyStatus.ON_BREAK)
            locked.set()
            release.wait(10)

    def reference_the_courier() -> None:
        locked.wait(10)
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = '2s'")
                replan_soon(courier_id=c.pk, trigger="new pickup")  # inserts its ReplanState row
        finally:
            release.set()

    errors = _together([hold_the_courier, reference_the_courier])

    assert errors == []
