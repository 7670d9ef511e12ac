"""A prefork worker keeps its PostgreSQL connection from task to task (backend/celery.py).

Celery's Django fixup closed the child's whole connection pool around every task, so each task
connected anew: a PostgreSQL backend forked and authenticated for a few milliseconds of work.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from django.db import connection

from backend.couriers.models import Courier
from backend.dispatch.models import ReplanState
from tests.celery_worker import ROOT, celery_worker, worker_env
from tests.fixtures.people import Person

TASKS = 20
SEND = (
    "import django; django.setup(); from backend.dispatch.tasks import replan_courier as t; "
    "[t.delay({courier}, f'trigger {{i}}') for i in range({n})]"
)


def sessions() -> int:
    """Connections ever made to the test database (PostgreSQL counts them per database)."""
    with connection.cursor() as cur:
        cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cur.fetchone()[0])


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_runs_many_tasks_on_one_connection(
    courier: tuple[Courier, Person], settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    c = courier[0]
    # A long debounce: the triggers only open and fill the window, no re-plan runs meanwhile.
    env = worker_env(REPLAN_DEBOUNCE_S="600", DATABASE_POOL_MAX="2")
    with celery_worker("connections-test", "--concurrency=1", env=env):
        before = sessions()
        subprocess.run(
            [sys.executable, "-c", SEND.format(courier=c.pk, n=TASKS)],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=30,
        )
        started = time.monotonic()
        while (
            len(ReplanState.objects.filter(courier=c).values_list("triggers", flat=True).first() or [])
            < TASKS
        ):
            assert time.monotonic() - started < 30, "the worker did not take the triggers within 30 s"
            time.sleep(0.05)
        time.sleep(2)  # backends report their counters within a second or two of going idle
        made = sessions() - before
    # The pool's first connection (and a spare it may open); before the fix, one or two per task.
    assert made <= 3, f"{made} connections for {TASKS} tasks"
