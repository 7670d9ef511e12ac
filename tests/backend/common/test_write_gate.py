"""The write gate: reads pass while writes hold every slot; a write that waits too long is told busy."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.sync import ThreadSensitiveContext
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from backend.common.write_gate import WriteGate, gate_for
from backend.http import SyncChainASGIHandler


def test_applies_to_writes_only_and_not_without_slots() -> None:
    gate = WriteGate(slots=2, timeout_s=1)
    assert [gate.applies(m) for m in ("GET", "head", "OPTIONS")] == [False, False, False]
    assert [gate.applies(m) for m in ("POST", "PUT", "PATCH", "DELETE")] == [True] * 4
    assert not WriteGate(slots=0, timeout_s=1).applies("POST")


def test_a_full_gate_times_out_and_a_left_slot_is_taken_again() -> None:
    async def scenario() -> list[bool]:
        gate = WriteGate(slots=1, timeout_s=0.05)
        first = await gate.enter()
        second = await gate.enter()  # the only slot is held
        gate.leave()
        third = await gate.enter()
        return [first, second, third]

    assert asyncio.run(scenario()) == [True, False, True]


@pytest.mark.parametrize(
    ("options", "slots", "timeout"),
    [
        ({"pool": {"min_size": 1, "max_size": 4, "timeout": 10}}, 3, 10.0),
        ({"pool": {"max_size": 1}}, 0, 0.0),  # one connection: no slot left to reserve for reads
        ({}, 0, 0.0),  # no pool (SQLite, tests): nothing queues for connections
    ],
)
def test_one_slot_fewer_than_the_pool(options: dict[str, object], slots: int, timeout: float) -> None:
    gate = gate_for({"ENGINE": "django.db.backends.postgresql", "NAME": "x", "OPTIONS": options})
    assert (gate.slots, gate.timeout_s) == (slots, timeout)


def test_reads_pass_while_writes_hold_the_slots_and_a_late_write_is_told_busy() -> None:
    handler = SyncChainASGIHandler()
    handler.write_gate = WriteGate(slots=1, timeout_s=0.3)
    release = threading.Event()

    def chain(request: HttpRequest) -> HttpResponse:  # stands in for the middleware chain and view
        if request.method == "POST":
            assert release.wait(5)
        return HttpResponse(f"{request.method} done")

    handler.get_response = chain  # type: ignore[method-assign]
    factory = RequestFactory()

    async def call(request: HttpRequest) -> HttpResponse:
        async with ThreadSensitiveContext():  # as ASGIHandler.handle runs each request
            return await handler.get_response_async(request)  # type: ignore[return-value]

    async def scenario() -> tuple[str, int, dict[str, object], str, str]:
        loop = asyncio.get_running_loop()
        held = asyncio.ensure_future(call(factory.post("/api/v1/sync/push")))
        await asyncio.sleep(0.05)  # the first write is in the chain, holding the only slot
        read = await asyncio.wait_for(call(factory.get("/api/v1/sync/pull")), 2)
        late = await call(factory.post("/api/v1/sync/push"))
        await loop.run_in_executor(None, release.set)
        first = await asyncio.wait_for(held, 5)
        after = await asyncio.wait_for(call(factory.post("/api/v1/sync/push")), 5)
        return (
            read.content.decode(),
            late.status_code,
            json.loads(late.content),
            first.content.decode(),
            after.content.decode(),
        )

    read, late_status, late_body, first, after = asyncio.run(scenario())
    assert read == "GET done"  # the read did not wait for the held write
    assert late_status == 503 and late_body["code"] == "busy"  # waited longer than the pool would
    assert first == "POST done" and after == "POST done"  # the slot came back
