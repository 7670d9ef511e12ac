"""Binding a virtual number to a courier's job: the service, the endpoint, expiry, the real phone kept out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import override_settings

from backend.calls.gateway import BindRequest, BoundNumber, GatewayError
from backend.calls.models import NumberBinding
from backend.calls.services import call_bind
from backend.common.errors import DomainError
from backend.couriers.models import Courier
from backend.shipments.models import Job
from backend.shipments.services import job_assign, job_cancel
from tests.backend.api.conftest import Api
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)  # 10:30 at a station in China
RECIPIENT = "13912345678"
SENDER = "13812345678"


@pytest.fixture
def bindings_file(tmp_path: Path) -> Any:
    with override_settings(CALLS_FILE=str(tmp_path / "bindings.jsonl"), CALLS_BACKEND="console"):
        yield tmp_path / "bindings.jsonl"


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def at_now() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _assigned(station: Any, supervisor: Person, courier: Courier, kind: str = "delivery") -> Job:
    job = make_job(station, supervisor.ctx, kind)
    return job_assign(job_id=job.pk, courier_id=courier.pk, ctx=supervisor.ctx)


def test_the_courier_gets_a_pool_number_with_an_extension_for_30_minutes(
    station: Any, supervisor: Person, courier: tuple[Courier, Person], bindings_file: Path, at_now: Any
) -> None:
    c, person = courier
    job = _assigned(station, supervisor, c)
    b = call_bind(job_id=job.pk, ctx=person.ctx)
    assert b.number in ("17000000100", "17000000101", "17000000102")
    assert len(b.extension) == 4 and b.extension.isdigit()
    assert b.dial == f"{b.number},{b.extension}"
    assert (b.job_id, b.courier_id, b.provider, b.created_at, b.expires_at) == (
        job.pk,
        c.pk,
        "console",
        NOW,
        NOW + timedelta(minutes=30),
    )
    # The console file says what was bound, with the real numbers masked.
    (line,) = [json.loads(x) for x in bindings_file.read_text(encoding="utf-8").splitlines()]
    assert (line["number"], line["extension"]) == (b.number, b.extension)
    assert RECIPIENT not in bindings_file.read_text() and line["callee"].endswith("5678")


def test_calling_again_within_the_binding_dials_the_same_number_and_after_expiry_a_new_one(
    station: Any, supervisor: Person, courier: tuple[Courier, Person], bindings_file: Path, at_now: Any
) -> None:
    c, person = courier
    job = _assigned(station, supervisor, c)
    first = call_bind(job_id=job.pk, ctx=person.ctx)
    at_now.shift(timedelta(minutes=27))
    assert call_bind(job_id=job.pk, ctx=person.ctx).pk == first.pk
    # Two minutes before the end it is not handed out again: the call would be cut off.
    at_now.shift(timedelta(minutes=1, seconds=1))
    second = call_bind(job_id=job.pk, ctx=person.ctx)
    assert second.pk != first.pk and second.expires_at == NOW + timedelta(minutes=58, seconds=1)
    assert NumberBinding.objects.filter(job_id=job.pk).count() == 2


@override_settings(CALLS_BINDING_MINUTES=10)
def test_the_binding_time_comes_from_the_settings(
    station: Any, supervisor: Person, courier: tuple[Courier, Person], bindings_file: Path, at_now: Any
) -> None:
    c, person = courier
    b = call_bind(job_id=_assigned(station, supervisor, c).pk, ctx=person.ctx)
    assert b.expires_at == NOW + timedelta(minutes=10)


class Recorder:
    """A provider that keeps what it was asked (a dotted-path backend, as an operator would plug in)."""

    name = "recorder"
    asked: list[BindRequest] = []
    fail = False

    def bind(self, request: BindRequest) -> BoundNumber:
        if Recorder.fail:
            raise GatewayError("no numbers left")
        Recorder.asked.append(request)
        return BoundNumber(number="17100001111", extension="", provider_id="p-1")


@pytest.fixture
def recorder() -> Any:
    Recorder.asked, Recorder.fail = [], False
    with override_settings(CALLS_BACKEND="tests.backend.calls.test_call_bind.Recorder"):
        yield Recorder


def test_the_provider_rings_the_recipient_of_a_delivery_and_the_sender_of_a_pickup(
    station: Any, supervisor: Person, courier: tuple[Courier, Person], recorder: Any, at_now: Any
) -> None:
    c, person = courier
    delivery = _assigned(station, supervisor, c)
    pickup = _assigned(station, supervisor, c, "pickup")
    b = call_bind(job_id=delivery.pk, ctx=person.ctx)
    call_bind(job_id=pickup.pk, ctx=person.ctx)
    assert [(r.caller, r.callee) for r in recorder.asked] == [
        (c.phone, "+86" + RECIPIENT),
        (c.phone, "+86" + SENDER),
    ]
    assert (b.dial, b.provider, b.provider_id) == ("17100001111", "recorder", "p-1")


def test_no_number_from_the_provider_is_a_503_with_its_code(
    station: Any, supervisor: Person, courier: tuple[Courier, Person], recorder: Any, api: Api
) -> None:
    c, person = courier
    job = _assigned(station, supervisor, c)
    recorder.fail = True
    r = api.post(f"/api/v1/jobs/{job.pk}/call", as_=person)
    assert (r.status_code, r.json()["code"]) == (503, "virtual_number_unavailable")
    assert not NumberBinding.objects.exists()


def test_only_the_jobs_courier_binds_and_only_while_the_job_is_open(
    station: Any,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
    bindings_file: Path,
) -> None:
    c, _ = courier
    job = _assigned(station, supervisor, c)
    with pytest.raises(DomainError) as refused:
        call_bind(job_id=job.pk, ctx=other_courier[1].ctx)
    assert refused.value.code == "not_assigned_to_you"
    job_cancel(job_id=job.pk, ctx=supervisor.ctx, reason="test")
    with pytest.raises(DomainError) as closed:
        call_bind(job_id=job.pk, ctx=courier[1].ctx)
    assert closed.value.code == "job_closed"


def test_the_endpoint_answers_the_virtual_number_and_never_the_real_phone(
    station: Any,
    supervisor: Person,
    courier: tuple[Courier, Person],
    bindings_file: Path,
    at_now: Any,
    api: Api,
) -> None:
    c, person = courier
    job = _assigned(station, supervisor, c)
    r = api.post(f"/api/v1/jobs/{job.pk}/call", as_=person)
    assert r.status_code == 200
    body = r.json()
    b = NumberBinding.objects.get()
    assert datetime.fromisoformat(body.pop("expires_at")) == NOW + timedelta(minutes=30)
    assert body == {
        "binding_id": b.pk,
        "job_id": job.pk,
        "number": b.number,
        "extension": b.extension,
        "dial": b.dial,
    }
    text = r.content.decode()
    assert RECIPIENT not in text and SENDER not in text and c.phone.lstrip("+") not in text


def test_webhook_backend_sends_a_signed_request_and_reads_the_number(monkeypatch: Any) -> None:
    import httpx

    from backend.calls.backends import webhook
    from backend.notify.signing import SIGNATURE_HEADER

    sent: dict[str, Any] = {}

    def post(url: str, *, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
        sent.update(url=url, body=json.loads(content), headers=headers)
        return httpx.Response(200, json={"number": "17200002222", "extension": "12", "id": "x9"})

    monkeypatch.setattr(webhook.httpx, "post", post)
    with override_settings(CALLS_WEBHOOK_URL="https://vn.test/bind", CALLS_WEBHOOK_SECRET="s3cret"):
        bound = webhook.WebhookGateway().bind(BindRequest("ref-1", "13800138000", RECIPIENT, NOW))
    assert bound == BoundNumber(number="17200002222", extension="12", provider_id="x9")
    assert sent["body"] == {
        "reference": "ref-1",
        "caller": "13800138000",
        "callee": RECIPIENT,
        "expires_at": NOW.isoformat(),
    }
    assert sent["headers"]["Idempotency-Key"] == "ref-1" and sent["headers"][SIGNATURE_HEADER].startswith(
        "v1="
    )


@pytest.mark.parametrize(
    "answer",
    [(500, {}), (200, {"extension": "1"}), (200, {"number": "abc"})],
)
def test_webhook_backend_without_a_number_is_a_gateway_error(
    monkeypatch: Any, answer: tuple[int, Any]
) -> None:
    import httpx

    from backend.calls.backends import webhook

    monkeypatch.setattr(webhook.httpx, "post", lambda *a, **k: httpx.Response(answer[0], json=answer[1]))
    with (
        override_settings(CALLS_WEBHOOK_URL="https://vn.test/bind", CALLS_WEBHOOK_SECRET="s3cret"),
        pytest.raises(GatewayError),
    ):
        webhook.WebhookGateway().bind(BindRequest("ref-1", "13800138000", RECIPIENT, NOW))
