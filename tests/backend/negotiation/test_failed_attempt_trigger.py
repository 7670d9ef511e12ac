"""A failed attempt opens a negotiation by itself (a follow-up after commit), with options fitting
its reason code and windows the courier's plan can keep; running the follow-up twice opens one."""

from __future__ import annotations

from datetime import datetime

import pytest

from backend.negotiation import tasks
from backend.negotiation.models import Negotiation
from backend.negotiation.services.triggers import negotiation_offer_after_failure
from backend.shipments import services as svc
from backend.shipments.services import followups
from tests.backend.negotiation.conftest import NOW, SH
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db


def fail(station, supervisor, courier, reason: str):  # type: ignore[no-untyped-def]
    job = make_job(station, supervisor.ctx)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    return svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code=reason)


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH).isoformat()


def test_not_home_offers_windows_today_and_tomorrow_the_station_a_locker_a_neighbour_and_a_retry(
    frozen, station, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    job = fail(station, supervisor, courier, "not_home")
    n = negotiation_offer_after_failure(job_id=job.pk, attempt_number=1, now=NOW)
    assert n is not None
    assert (n.trigger, n.reason_code, n.attempt_number, n.default_key) == (
        "failed_attempt",
        "not_home",
        1,
        "keep",
    )
    windows = [
        (o["window_start"], o["window_end"], o["text"]["en"]) for o in n.options if o["kind"] == "window"
    ]
    # From 10:00 the earliest window starts half an hour out; tomorrow's start at the shift start.
    assert windows == [
        (at(24, 10, 30), at(24, 11, 30), "Today 10:30–11:30"),
        (at(24, 11, 30), at(24, 12, 30), "Today 11:30–12:30"),
        (at(24, 12, 30), at(24, 13, 30), "Today 12:30–13:30"),
        (at(25, 8), at(25, 9), "Tomorrow 08:00–09:00"),
        (at(25, 9), at(25, 10), "Tomorrow 09:00–10:00"),
        (at(25, 10), at(25, 11), "Tomorrow 10:00–11:00"),
    ]
    assert [o["kind"] for o in n.options][6:] == [
        "hold_station",
        "hold_locker",
        "neighbour",
        "safe_place",
        "keep",
    ]
    # The pickup code is made when the customer chooses the station, never offered in the feeds.
    assert all("pickup_code" not in o for o in n.options)


@pytest.mark.parametrize(
    ("reason", "kinds"),
    [
        ("refused", ["return", "keep"]),
        ("wrong_address", ["redirect", "hold_station", "keep"]),
        ("address_incomplete", ["redirect", "hold_station", "keep"]),
    ],
)
def test_options_follow_the_reason_code(frozen, station, supervisor, courier, reason, kinds) -> None:  # type: ignore[no-untyped-def]
    job = fail(station, supervisor, courier, reason)
    n = negotiation_offer_after_failure(job_id=job.pk, attempt_number=1, now=NOW)
    assert n is not None and [o["kind"] for o in n.options] == kinds


@pytest.mark.parametrize("reason", ["cod_not_ready", "customer_rescheduled"])
def test_cod_and_rescheduling_offer_windows(frozen, station, supervisor, courier, reason) -> None:  # type: ignore[no-untyped-def]
    job = fail(station, supervisor, courier, reason)
    n = negotiation_offer_after_failure(job_id=job.pk, attempt_number=1, now=NOW)
    assert n is not None and {o["kind"] for o in n.options} == {"window", "keep"}


def test_the_follow_up_is_idempotent_and_ignores_a_stale_attempt(
    frozen, station, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    job = fail(station, supervisor, courier, "not_home")
    first = tasks.offer_after_failed_attempt(job.pk, 1)
    assert tasks.offer_after_failed_attempt(job.pk, 1) == first
    assert Negotiation.objects.count() == 1
    assert tasks.offer_after_failed_attempt(job.pk, 2) is None  # no such attempt
    assert Negotiation.objects.count() == 1


def test_a_failed_delivery_sends_the_follow_up_by_name_after_commit(  # type: ignore[no-untyped-def]
    settings, monkeypatch, frozen, station, supervisor, courier, django_capture_on_commit_callbacks
) -> None:
    sent: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(followups.current_app, "send_task", lambda name, args: sent.append((name, args)))
    job = make_job(station, supervisor.ctx)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("backend.dispatch.tasks.replan_courier.apply_async", lambda *a, **k: None)
    monkeypatch.setattr("backend.dispatch.tasks.refresh_etas.apply_async", lambda *a, **k: None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="not_home")
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [("negotiation.offer_after_failed_attempt", [job.pk, 1])]


@pytest.mark.parametrize("flag", ["id_check", "high_value"])
@pytest.mark.parametrize(
    ("reason", "kinds"),
    [
        ("not_home", ["window"] * 6 + ["keep"]),  # no station, locker, neighbour or safe place
        ("self_collect", ["window"] * 6 + ["keep"]),  # only holds fitted: windows instead
        ("wrong_address", ["redirect", "keep"]),
    ],
)
def test_a_parcel_handed_over_only_in_person_is_offered_nothing_that_leaves_it_unchecked(
    frozen, station, supervisor, courier, flag, reason, kinds
) -> None:  # type: ignore[no-untyped-def]
    job = make_job(station, supervisor.ctx, handling=[flag])
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code=reason)
    n = negotiation_offer_after_failure(job_id=job.pk, attempt_number=1, now=NOW)
    assert n is not None and [o["kind"] for o in n.options] == kinds
