"""The supervisor's COD report over HTTP: per courier per day, JSON and CSV, and the end-of-shift calls."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from backend.shipments import services as svc
from tests.backend.cod.conftest import cod_job_started, deliver_cash, paid
from tests.clock import FIXTURE_DAY

pytestmark = pytest.mark.django_db


def _call(person, method: str, url: str, body=None):
    client = APIClient()
    return (
        getattr(client, method)(url, body, format="json", **person.auth)
        if body is not None
        else getattr(client, method)(url, **person.auth)
    )


@pytest.fixture
def evening(station):
    at = datetime.combine(FIXTURE_DAY, time(19, 0), tzinfo=ZoneInfo(station.time_zone))
    with time_machine.travel(at, tick=False):
        yield


def test_the_day_from_delivery_to_closed_shift_and_the_report(evening, station, supervisor, courier) -> None:
    c, person = courier
    deliver_cash(station, supervisor.ctx, c, person.ctx, 10_000)
    job = cod_job_started(station, supervisor.ctx, c, person.ctx, 2_500)
    svc.job_deliver(job_id=job.pk, ctx=person.ctx, proof=paid(2_500, "wechat", "42000001"))
    refused = cod_job_started(station, supervisor.ctx, c, person.ctx, 9_900)
    svc.job_fail(job_id=refused.pk, ctx=person.ctx, reason_code="cod_refused")

    held = _call(person, "get", "/api/v1/cod/holding").json()
    assert (held["held_fen"], held["held_count"]) == (10_000, 1)
    closing = _call(person, "post", "/api/v1/cod/shift-close", {})
    assert (closing.status_code, closing.json()["code"]) == (409, "cash_unreturned")

    body = {"courier_id": c.pk, "expected_fen": 10_000, "received_fen": 9_950, "reason": "短款5角"}
    handed = _call(supervisor, "post", "/api/v1/cod/handovers", body)
    assert handed.status_code == 201, handed.content
    assert handed.json()["variance"]["amount_fen"] == -50
    assert _call(person, "post", "/api/v1/cod/shift-close", {}).status_code == 201

    url = f"/api/v1/cod/report?station={station.code}&date={FIXTURE_DAY.isoformat()}"
    rows = _call(supervisor, "get", url).json()["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert {
        k: row[k] for k in ("expected_fen", "collected_fen", "collected_cash_fen", "collected_mobile_fen")
    } == {
        "expected_fen": 22_400,
        "collected_fen": 12_500,
        "collected_cash_fen": 10_000,
        "collected_mobile_fen": 2_500,
    }
    assert (
        row["handed_over_fen"],
        row["variance_fen"],
        row["outstanding_fen"],
        row["cod_failed_attempts"],
    ) == (
        9_950,
        -50,
        0,
        1,
    )
    assert row["variances"][0]["reason"] == "短款5角"

    exported = _call(supervisor, "get", url.replace("/report?", "/report.csv?"))
    assert exported["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["service_date", "employee_no", "courier_name", "expected_fen"]
    assert lines[1][0] == FIXTURE_DAY.isoformat() and lines[1][3] == "22400"
    assert lines[1][-2:] == ["短款5角", "1"]


def test_the_report_refuses_a_range_of_more_than_31_days(supervisor, station) -> None:
    r = _call(supervisor, "get", f"/api/v1/cod/report?station={station.code}&date=2026-01-01&to=2026-03-01")
    assert r.status_code == 400


def test_the_rest_delivery_carries_the_method_and_reference(station, supervisor, courier) -> None:
    job = cod_job_started(station, supervisor.ctx, courier[0], courier[1].ctx, 3_000)
    url = f"/api/v1/jobs/{job.pk}/deliver"
    base = {"method": "photo", "recipient_relation": "self", "media_sha256": ["ab" * 32]}
    wrong = _call(courier[1], "post", url, base | {"cod_collected_fen": 2_999})
    assert (wrong.status_code, wrong.json()["code"]) == (409, "cod_amount_mismatch")
    no_ref = _call(courier[1], "post", url, base | {"cod_collected_fen": 3_000, "cod_method": "qr"})
    assert (no_ref.status_code, no_ref.json()["code"]) == (400, "proof_incomplete")
    ok = _call(
        courier[1],
        "post",
        url,
        base | {"cod_collected_fen": 3_000, "cod_method": "qr", "cod_payment_ref": "T1"},
    )
    assert ok.status_code == 200, ok.content
    held = _call(courier[1], "get", "/api/v1/cod/holding").json()
    assert held["held_fen"] == 0  # a QR payment is not cash in hand
