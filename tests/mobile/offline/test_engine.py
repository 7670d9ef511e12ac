"""The sync engine's own behaviour, against a scripted server: order, backoff, refusals, resume."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from mobile.actions import Actions
from mobile.offline import outbox
from mobile.offline.store import Store
from mobile.offline.sync import Reply, SyncEngine, TransportError
from parcelkit.rules.tracking import make_tracking_no
from tests.mobile.offline.fakes import ScriptedTransport

EMPTY_PULL = Reply(200, {"cursor": 0, "more": False, "reset": False, "changes": [], "reference": {}})


def _applied(body: Any) -> Reply:
    return Reply(
        200,
        {
            "results": [{"op_id": o["op_id"], "outcome": "applied"} for o in body["ops"]],
            "device": {"max_seq": body["ops"][-1]["seq"], "gaps": []},
        },
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(str(tmp_path / "h.sqlite3"), device_id="phone-1")


def _scans(store: Store, n: int) -> list[str]:
    actions = Actions(store)
    return [actions.record_scan(make_tracking_no(i + 1), "sorted") for i in range(n)]


def test_the_outbox_is_pushed_in_order_in_batches(store: Store) -> None:
    ids = _scans(store, 7)

    def answer(method: str, path: str, body: Any) -> Reply:
        return _applied(body) if path.endswith("push") else EMPTY_PULL

    transport = ScriptedTransport(answer)
    report = SyncEngine(store, transport, batch_size=3).sync_once()
    pushes = [b for m, p, b in transport.sent if p.endswith("push")]
    assert [[o["op_id"] for o in b["ops"]] for b in pushes] == [ids[0:3], ids[3:6], ids[6:7]]
    assert [o["seq"] for b in pushes for o in b["ops"]] == list(range(1, 8))
    assert report.pushed == 7 and outbox.pending_count(store) == 0
    assert store.meta("last_sync_at") is not None


def test_backoff_is_exponential_with_full_jitter_and_capped(store: Store) -> None:
    engine = SyncEngine(
        store, ScriptedTransport(lambda *a: EMPTY_PULL), base_delay_s=1, max_delay_s=20, rng=random.Random(4)
    )
    for attempt, cap in [(0, 1), (1, 2), (3, 8), (10, 20)]:
        delays = [engine.delay(attempt) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= cap
        assert max(delays) > cap * 0.8  # spread over the whole window, not a fixed step


def test_run_retries_through_failures_then_succeeds(store: Store) -> None:
    _scans(store, 2)
    failures = iter([True, True, False])
    slept: list[float] = []

    def answer(method: str, path: str, body: Any) -> Reply:
        if path.endswith("push") and next(failures):
            raise TransportError("reset by peer")
        return _applied(body) if path.endswith("push") else EMPTY_PULL

    engine = SyncEngine(store, ScriptedTransport(answer), sleep=slept.append, rng=random.Random(1))
    engine.run(max_attempts=5)
    assert len(slept) == 2 and outbox.pending_count(store) == 0


def test_a_request_the_server_refuses_whole_is_split_down_to_the_bad_op(store: Store) -> None:
    ids = _scans(store, 4)

    def answer(method: str, path: str, body: Any) -> Reply:
        if not path.endswith("push"):
            return EMPTY_PULL
        if ids[2] in [o["op_id"] for o in body["ops"]]:
            return Reply(400, {"code": "invalid", "message": "ops.2: bad", "details": {}})
        return _applied(body)

    SyncEngine(store, ScriptedTransport(answer), batch_size=4).sync_once()
    assert [(o.op_id, o.state, o.code) for o in outbox.all_ops(store)] == [
        (ids[0], "applied", ""),
        (ids[1], "applied", ""),
        (ids[2], "rejected", "invalid"),
        (ids[3], "applied", ""),
    ]


def test_a_restarted_engine_resumes_with_what_was_not_answered(store: Store, tmp_path: Path) -> None:
    ids = _scans(store, 5)
    calls = {"n": 0}

    def flaky(method: str, path: str, body: Any) -> Reply:
        calls["n"] += 1
        if calls["n"] == 2:
            raise TransportError("battery died")
        return _applied(body) if path.endswith("push") else EMPTY_PULL

    with pytest.raises(TransportError):
        SyncEngine(store, ScriptedTransport(flaky), batch_size=2).sync_once()
    store.close()
    reopened = Store(str(tmp_path / "h.sqlite3"), device_id="ignored")
    transport = ScriptedTransport(lambda m, p, b: _applied(b) if p.endswith("push") else EMPTY_PULL)
    SyncEngine(reopened, transport, batch_size=10).sync_once()
    resent = [o["op_id"] for m, p, b in transport.sent if p.endswith("push") for o in b["ops"]]
    assert resent == ids[2:]
    assert reopened.device_id == "phone-1"


def test_a_round_pushes_what_was_queued_when_it_began_and_goes_on_to_the_photos(store: Store) -> None:
    """A courier who keeps scanning while the round pushes must not hold the round in the push
    loop: the round ends after the ops it started with; the new ones go next round."""
    ids = _scans(store, 3)
    recorded_meanwhile: list[str] = []

    def answer(method: str, path: str, body: Any) -> Reply:
        if path.endswith("push"):
            recorded_meanwhile.extend(_scans(store, 1))  # a scan lands during every push
            return _applied(body)
        return EMPTY_PULL

    transport = ScriptedTransport(answer)
    SyncEngine(store, transport, batch_size=2).sync_once()
    pushes = [b for m, p, b in transport.sent if p.endswith("push")]
    assert [o["op_id"] for b in pushes for o in b["ops"]] == ids
    assert any(p.endswith("pull") for _, p, _ in transport.sent)  # the round reached its end
    assert outbox.pending_count(store) == len(recorded_meanwhile) == 2
