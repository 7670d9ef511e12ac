"""The pull tells the courier's handheld about each job's question to the customer, masked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.negotiation.models import Negotiation
from backend.negotiation.services import OptionInput, negotiation_answer, negotiation_offer
from backend.shipments.context import Ctx
from tests.backend.sync.helpers import pull, ready_job

pytestmark = pytest.mark.django_db


def offer(job_id: int, staff: Any) -> Negotiation:
    start = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    return negotiation_offer(
        job_id=job_id,
        ctx=staff.ctx,
        trigger="supervisor",
        options=[
            OptionInput("w1", "window", {"zh": "14:00", "en": "14:00"}, start, start + timedelta(hours=1)),
            OptionInput(
                "st", "hold_station", {"zh": "自取", "en": "Collect"}, extra={"pickup_code": "482913"}
            ),
            OptionInput("keep", "keep", {"zh": "原计划", "en": "As planned"}),
        ],
        default_key="keep",
        deadline=timezone.now() + timedelta(hours=1),
    )


def negotiations(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["negotiation"] for c in body["changes"] if c["op"] == "negotiation"]


def test_a_first_pull_carries_each_jobs_latest_negotiation_without_the_pickup_code(
    station, courier, supervisor
) -> None:  # type: ignore[no-untyped-def]
    mine, me = courier
    job, quiet = ready_job(station, supervisor, mine), ready_job(station, supervisor, mine)
    offer(job.pk, supervisor)
    latest = offer(job.pk, supervisor)  # supersedes the first
    (n,) = negotiations(pull(me))
    assert (n["id"], n["job_id"], n["state"], n["chosen_key"], n["window_start"]) == (
        latest.pk,
        job.pk,
        "offered",
        "",
        None,
    )
    assert [set(o) for o in n["options"]] == [{"key", "kind", "text", "window_start", "window_end"}] * 3
    assert "482913" not in str(n)
    assert quiet.pk != n["job_id"]


def test_a_cursor_pull_brings_the_offer_then_the_answer_after_the_job_change(
    station, courier, supervisor
) -> None:  # type: ignore[no-untyped-def]
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    cursor = pull(me)["cursor"]
    n = offer(job.pk, supervisor)
    body = pull(me, cursor)
    assert [(c["op"], c.get("negotiation", {}).get("state")) for c in body["changes"]] == [
        ("negotiation", "offered")
    ]
    negotiation_answer(negotiation_id=n.pk, option_key="w1", channel="link", language="zh", ctx=Ctx.system())
    body = pull(me, body["cursor"])
    assert [c["op"] for c in body["changes"]] == ["job", "negotiation"]
    job_change, answered = body["changes"][0]["job"], body["changes"][1]["negotiation"]
    assert (answered["state"], answered["chosen_key"]) == ("answered", "w1")
    assert answered["window_start"] == job_change["window_start"] == n.option("w1")["window_start"]  # type: ignore[index]


def test_the_first_pull_adds_one_query_whatever_the_number_of_negotiations(
    station, courier, supervisor
) -> None:  # type: ignore[no-untyped-def]
    mine, me = courier
    offer(ready_job(station, supervisor, mine).pk, supervisor)
    pull(me)  # the token's last-used stamp is written once a minute; take it out of the count

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            pull(me)
        return len(ctx.captured_queries)

    one = queries()
    for _ in range(5):
        offer(ready_job(station, supervisor, mine).pk, supervisor)
    assert queries() == one <= 5
