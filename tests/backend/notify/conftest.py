"""A delivery job to message, and a real HTTP provider on loopback that checks our signatures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.couriers.models import Station
from backend.notify.models import Message
from backend.notify.services import message_queue
from backend.notify.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from backend.shipments.models import Job
from tests.clock import station_tz
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

SECRET = "provider-shared-secret-for-tests"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(station_tz()))


@pytest.fixture
def frozen() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def job(frozen: datetime, station: Station, supervisor: Person) -> Job:
    return make_job(station, supervisor.ctx)


def queue(job: Job, occasion: str = "n1", **overrides: Any) -> Message:
    args: dict[str, Any] = {
        "job_id": job.pk,
        "trigger": "failed_attempt",
        "occasion": occasion,
        "template": "failed_attempt",
        "language": "zh",
        "params": {"name": "李*", "deadline": "12:00", "link": "https://parcelrun.test/n/tok/"},
        "now": NOW,
    }
    args.update(overrides)
    message, _ = message_queue(**args)
    return message


@dataclass
class Provider:
    """What the provider received, and the status codes it answers with, in order (then 200)."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = Provider(url=f"http://127.0.0.1:{server.server_address[1]}/send")
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFY_BACKEND = "webhook"
    settings.NOTIFY_WEBHOOK_URL = state.url
    settings.NOTIFY_WEBHOOK_SECRET = SECRET
    settings.NOTIFY_CALLBACK_SECRET = SECRET
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        state: Provider = self.server.state  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        signed = verify(
            SECRET,
            self.headers.get(TIMESTAMP_HEADER),
            self.headers.get(SIGNATURE_HEADER),
            body,
            int(time.time()),
        )
        state.received.append(
            {
                "path": self.path,
                "signed": signed,
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "body": json.loads(body),
            }
        )
        status = 401 if not signed else (state.answers.pop(0) if state.answers else 200)
        reply = json.dumps({"id": f"prov-{len(state.received)}"} if status == 200 else {"error": "x"})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass
