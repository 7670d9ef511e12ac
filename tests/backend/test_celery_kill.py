"""A Celery worker killed mid-task (SIGKILL) leaves no half-done effect and the task runs again
(issue 16): late ack with ``task_reject_on_worker_lost``, a real prefork worker on Redis and the
test's PostgreSQL database.

The task is ``sync.expire_abandoned_uploads``: it deletes two abandoned uploads and their chunks in
one transaction. A row lock held here stops it half-way (the chunks deleted, the uploads not yet);
the pool child is then killed. What the killed run did must be rolled back, and the message must
come back and finish once the lock is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time as clock
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from backend.sync.models import Attachment, AttachmentChunk
from tests.celery_worker import ROOT, celery_worker, database_url, worker_env
from tests.fixtures.people import Person

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SEND = (
    "import django; django.setup(); from backend.sync.tasks import expire_abandoned_uploads as t; t.delay()"
)


def _env() -> dict[str, str]:
    return worker_env()


@pytest.fixture
def worker() -> Iterator[subprocess.Popen[str]]:
    with celery_worker(
        "kill-test", "--pool=prefork", "--concurrency=1", "--without-heartbeat", env=_env()
    ) as proc:
        yield proc


def _abandoned(person: Person, n: int) -> list[int]:
    long_ago = timezone.now() - timedelta(hours=settings.PARCELRUN_UPLOAD_ABANDON_HOURS + 1)
    ids = []
    for i in range(n):
        a = Attachment.objects.create(
            sha256=f"{i:064x}",
            size=10,
            content_type="image/png",
            received=4,
            created_by=person.user,
            created_at=long_ago,
            touched_at=long_ago,
        )
        AttachmentChunk.objects.create(attachment=a, offset=0, data=b"\x89PNG")
        ids.append(a.pk)
    return ids


def _until(check: object, what: str, within: float = 15) -> None:
    started = clock.monotonic()
    while not check():  # type: ignore[operator]
        assert clock.monotonic() - started < within, what
        clock.sleep(0.05)


def test_a_task_killed_mid_way_is_rolled_back_and_runs_again(
    courier: tuple[object, Person], worker: subprocess.Popen[str]
) -> None:
    ids = _abandoned(courier[1], 2)
    with (
        psycopg.connect(database_url(), autocommit=False) as holder,
        psycopg.connect(database_url(), autocommit=True) as watcher,
    ):
        holder.execute("SELECT id FROM sync_attachment WHERE id = %s FOR UPDATE", [ids[-1]])

        def blocked() -> set[int]:
            """The database sessions of runs waiting on our lock."""
            rows = watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query ILIKE 'DELETE%%'"
            ).fetchall()
            return {r[0] for r in rows}

        subprocess.run([sys.executable, "-c", SEND], cwd=ROOT, env=_env(), check=True, timeout=30)
        _until(blocked, "the task never reached the locked row")
        [first] = blocked()
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(worker.pid)], capture_output=True, text=True, check=True
        ).stdout.split()
        assert len(children) == 1, children
        os.kill(int(children[0]), signal.SIGKILL)
        # The message comes back at once (no ack was sent): a new child runs it and waits on our
        # lock too, in a session of its own. (The killed run's session waits on until the lock
        # goes; PostgreSQL then finds its client gone and rolls it back.)
        _until(lambda: blocked() - {first}, "the killed task was not delivered again")

        # The killed run had deleted the chunks; its transaction is gone, so they are all still here.
        assert Attachment.objects.filter(pk__in=ids).count() == 2
        assert AttachmentChunk.objects.filter(attachment_id__in=ids).count() == 2
        holder.rollback()  # the lock goes: the second run finishes

    _until(lambda: not Attachment.objects.filter(pk__in=ids).exists(), "the second run did not finish")
    with psycopg.connect(database_url(), autocommit=True) as watcher:
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s"
        # The killed run's transaction ends without committing (its client is gone).
        _until(lambda: watcher.execute(gone, [first]).fetchone() == (True,), "the killed session lingers")
    assert not AttachmentChunk.objects.filter(attachment_id__in=ids).exists()
    assert worker.poll() is None  # the worker survived the loss of its child
