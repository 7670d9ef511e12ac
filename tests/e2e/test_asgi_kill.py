"""The ASGI server SIGKILLed mid-request and restarted loses no committed data, and its clients
recover (issue 16).

A real daphne process on the test's PostgreSQL database and Redis. Four handhelds push their
jobs' ``accept``/``start``/``arrive`` ops, one job a push, while the supervisor's station feed and
each courier's feed are open on sockets. The server is killed with SIGKILL while pushes are in
flight, then started again on the same port. The handhelds retry what got no answer with the same
op ids, the sockets reconnect with the last cursor they saw. Then:

- every op whose answer came back before the kill is in the database (checked while the server is
  still down);
- every op is applied exactly once: one op-log row, one tracking event; a retry of a push the
  killed server had committed is recognised as a duplicate, and so is a final replay of everything;
- no job is half-written: its status is the one its events lead to, and each event has its feed row;
- each socket received every feed row of its audience exactly once, in cursor order.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from django.conf import settings
from django.utils import timezone
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from backend.couriers.models import Courier, Station
from backend.realtime.selectors import feed_head
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from backend.sync.models import AppliedOp
from bench.syncserver import ServerProcess, database_url
from parcelkit.uuid7 import uuid7
from tests.backend.sync.helpers import device_of, ready_job
from tests.fixtures.people import Person, make_courier

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DEVICES = 4
JOBS_EACH = 6
STEPS = (
    ("accept", "accepted", "job_accepted"),
    ("start", "started", "job_started"),
    ("arrive", "arrived", "job_arrived"),
)
NOT_ANSWERED = (httpx.TransportError,)


@dataclass
class Handheld:
    courier: Courier
    person: Person
    jobs: list[Job]
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # op id → the result that came back
    retried: set[str] = field(default_factory=set)  # op ids of pushes sent again after no answer

    def build(self) -> None:
        seq = 0
        for job in self.jobs:
            batch = []
            for kind, _, _ in STEPS:
                seq += 1
                batch.append(
                    {
                        "op_id": str(uuid7()),
                        "device_id": device_of(self.person),
                        "seq": seq,
                        "event_at": timezone.now().isoformat(),
                        "kind": kind,
                        "payload": {"job_id": job.pk},
                    }
                )
            self.batches.append(batch)


class Traffic:
    """The handhelds' pushes, each handheld in its own thread, counting what is in flight."""

    def __init__(self, server: ServerProcess, handhelds: list[Handheld]) -> None:
        self.base = f"http://127.0.0.1:{server.port}"
        self.handhelds = handhelds
        self.lock = threading.Lock()
        self.in_flight = 0
        self.answered = 0
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(h,), daemon=True) for h in handhelds]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.threads), "a handheld never got through"

    def _run(self, h: Handheld) -> None:
        with httpx.Client(base_url=self.base, timeout=20, trust_env=False) as http:
            for batch in h.batches:
                give_up = time.monotonic() + 300  # longer than a restart may take (below)
                while True:
                    with self.lock:
                        self.in_flight += 1
                    try:
                        response = http.post(
                            "/api/v1/sync/push",
                            json={"ops": batch, "sent_at": timezone.now().isoformat()},
                            headers={"Authorization": f"Token {h.person.token}"},
                        )
                    except NOT_ANSWERED:
                        response = None
                    finally:
                        with self.lock:
                            self.in_flight -= 1
                    if response is not None and response.status_code == 200:
                        break
                    if response is not None and response.status_code != 503:
                        self.errors.append(f"{response.status_code} {response.text[:300]}")
                        return
                    # No answer (the server died under us, or is not back yet): the same ops again.
                    h.retried.update(o["op_id"] for o in batch)
                    if time.monotonic() > give_up:
                        self.errors.append("no answer for 300 s")
                        return
                    time.sleep(0.1)
                with self.lock:
                    for result in response.json()["results"]:
                        h.answers[result["op_id"]] = result
                    self.answered += 1


@dataclass
class Listener:
    """A feed socket that reconnects with the last cursor it saw whenever it loses the server."""

    url: str
    cursor: int
    rows: list[tuple[int, str]] = field(default_factory=list)  # (cursor, type) of feed rows received
    connects: int = 0
    refusals: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                async with connect(
                    f"{self.url}&{urlencode({'cursor': self.cursor})}", proxy=None, open_timeout=10
                ) as ws:
                    self.connects += 1
                    while not self.stop.is_set():
                        try:
                            text = await asyncio.wait_for(ws.recv(), 0.3)
                        except TimeoutError:
                            continue
                        message = json.loads(text)
                        self._take(message)
                        if self.refusals:
                            return
                        if message["type"] == "ping":  # as a handheld does: the server closes silent sockets
                            await ws.send(json.dumps({"type": "pong", "cursor": self.cursor}))
            except (ConnectionClosed, InvalidHandshake, InvalidStatus, OSError, TimeoutError):
                await asyncio.sleep(0.2)

    def _take(self, message: dict[str, Any]) -> None:
        kind, cursor = message["type"], message.get("cursor")
        if kind == "error":
            self.refusals.append(json.dumps(message["payload"]))
            return
        if kind in ("ping", "session.ready"):
            self.cursor = max(self.cursor, cursor or 0)  # everything up to it has been sent
        elif kind != "courier.location" and isinstance(cursor, int):  # not an ephemeral message
            self.rows.append((cursor, kind))
            self.cursor = max(self.cursor, cursor)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        database_url=database_url(settings.DATABASES["default"]),
        log_path=str(tmp_path / "daphne.log"),
        extra_env={
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "FAST_PASSWORD_HASHER": "True",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "LOG_LEVEL": "WARNING",
        },
    )
    proc.start(timeout_s=240)  # a loaded machine takes its time to import Django
    yield proc
    proc.stop()  # before the test database is flushed


def _world(station: Station, supervisor: Person) -> list[Handheld]:
    handhelds = []
    for _ in range(DEVICES):
        courier, person = make_courier(station)
        jobs = [ready_job(station, supervisor, courier) for _ in range(JOBS_EACH)]
        handhelds.append(Handheld(courier, person, jobs))
    for h in handhelds:
        h.build()
    return handhelds


def _in_db(op_ids: set[str]) -> set[str]:
    logged = set(AppliedOp.objects.filter(op_id__in=op_ids).values_list("op_id", flat=True))
    evented = set(
        TrackingEvent.objects.filter(idempotency_key__in=op_ids).values_list("idempotency_key", flat=True)
    )
    return {str(o) for o in logged} | {str(o) for o in evented}


def test_a_server_killed_mid_push_and_restarted_loses_nothing_and_its_clients_recover(
    server: ServerProcess, station: Station, supervisor: Person
) -> None:
    handhelds = _world(station, supervisor)
    start = feed_head()
    ws = f"ws://127.0.0.1:{server.port}"
    listeners = [Listener(f"{ws}/ws/station/{station.code}/?token={supervisor.token}", start)] + [
        Listener(f"{ws}/ws/courier/?token={h.person.token}", start) for h in handhelds
    ]
    listener_threads = [threading.Thread(target=li.run, daemon=True) for li in listeners]
    for t in listener_threads:
        t.start()
    deadline = time.monotonic() + 30
    while not all(li.connects for li in listeners):
        assert time.monotonic() < deadline, "the feeds did not open"
        time.sleep(0.05)

    traffic = Traffic(server, handhelds)
    traffic.start()
    # Kill once a few pushes have been answered and while several are in flight.
    total = DEVICES * JOBS_EACH
    deadline = time.monotonic() + 120
    while not (traffic.answered >= total // 4 and traffic.in_flight >= 2):
        assert time.monotonic() < deadline and traffic.answered < total, "no moment with pushes in flight"
        time.sleep(0.002)
    server.kill()
    answered_before = {
        op_id for h in handhelds for op_id, r in h.answers.items() if r["outcome"] == "applied"
    }

    # Everything the clients were told is applied is in the database, with the server still down.
    assert answered_before and _in_db(answered_before) == answered_before
    time.sleep(0.5)  # the clients meet a closed port for a while
    server.start(timeout_s=240)
    traffic.join(timeout_s=400)
    assert traffic.errors == []

    all_ops = [o for h in handhelds for batch in h.batches for o in batch]
    op_ids = {o["op_id"] for o in all_ops}
    answers = {op_id: r for h in handhelds for op_id, r in h.answers.items()}
    retried = {op_id for h in handhelds for op_id in h.retried}
    assert set(answers) == op_ids
    # Applied the first time, or, for a push the killed server had committed before its answer
    # was lost, recognised on the retry: never rejected, never applied twice.
    for op_id, r in answers.items():
        assert r["outcome"] == "applied" or (
            r["outcome"] == "duplicate" and r["original"] == "applied" and op_id in retried
        ), r
    assert retried, "no push was cut off by the kill"
    assert AppliedOp.objects.filter(op_id__in=op_ids).count() == len(op_ids)
    events = list(
        TrackingEvent.objects.filter(idempotency_key__in=op_ids).values_list(
            "idempotency_key", "job_id", "kind"
        )
    )
    assert sorted(str(e[0]) for e in events) == sorted(op_ids)  # one event per op

    # No half-written job: each job ends arrived, through one event per step, each with its feed row.
    jobs = [j for h in handhelds for j in h.jobs]
    by_job = {j.pk: sorted(kind for _, job_id, kind in events if job_id == j.pk) for j in jobs}
    assert all(kinds == sorted(k for _, _, k in STEPS) for kinds in by_job.values()), by_job
    assert set(Job.objects.filter(pk__in=by_job).values_list("status", flat=True)) == {"arrived"}
    for job_id in by_job:
        updates = FeedEntry.objects.filter(job_id=job_id, cursor__gt=start, kind="job.updated")
        statuses = sorted(p["job"]["status"] for p in updates.values_list("payload", flat=True))
        assert statuses == sorted(status for _, status, _ in STEPS), job_id

    # A replay of every push now: all duplicates, nothing new.
    events_now, feed_now = TrackingEvent.objects.count(), feed_head()
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=30, trust_env=False) as http:
        for h in handhelds:
            for batch in h.batches:
                body = http.post(
                    "/api/v1/sync/push",
                    json={"ops": batch, "sent_at": timezone.now().isoformat()},
                    headers={"Authorization": f"Token {h.person.token}"},
                ).json()
                assert {(r["outcome"], r.get("original")) for r in body["results"]} == {
                    ("duplicate", "applied")
                }
    assert (TrackingEvent.objects.count(), feed_head()) == (events_now, feed_now)

    # The sockets: every feed row of their audience after where they started, once, in order.
    audiences = [FeedEntry.objects.filter(station_id=station.pk)] + [
        FeedEntry.objects.filter(courier_id=h.courier.pk)
        | FeedEntry.objects.filter(prev_courier_id=h.courier.pk)
        for h in handhelds
    ]
    expected = [
        list(qs.filter(cursor__gt=start).order_by("cursor").values_list("cursor", "kind")) for qs in audiences
    ]
    deadline = time.monotonic() + 60
    while any(li.cursor < (rows[-1][0] if rows else 0) for li, rows in zip(listeners, expected, strict=True)):
        assert time.monotonic() < deadline, [
            (li.cursor, rows[-1:]) for li, rows in zip(listeners, expected, strict=True)
        ]
        time.sleep(0.1)
    time.sleep(1)  # anything sent twice would arrive now
    for li in listeners:
        li.stop.set()
    for t in listener_threads:
        t.join(10)
    for li, rows in zip(listeners, expected, strict=True):
        assert li.refusals == []
        assert li.connects >= 2  # it lost the killed server and came back
        assert li.rows == rows  # 0 lost, 0 duplicated, in cursor order
