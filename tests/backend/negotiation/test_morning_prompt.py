"""The morning prompt: at each station's own prompt time, on the station's own date, every delivery
in that day's plan gets one negotiation carrying its planned window (the plan's ETA ± 30 minutes)
and one message with the link — however often the beat task runs. Instants chosen where the
station's date is not the UTC date."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from backend.couriers.models import Courier, Station
from backend.negotiation import tasks
from backend.negotiation.models import Negotiation
from backend.negotiation.services import negotiation_prompt_morning, negotiation_propose
from backend.negotiation.services.prompts import station_prompt_day
from backend.notify.models import Message
from backend.shipments import services as svc
from backend.shipments.models import Job
from backend.shipments.services.planning import job_set_plan
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

SH, LA = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles")
# 23:30 UTC on the 24th is 07:30 on the 25th in Shanghai.
SH_MORNING = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
# 00:30 UTC on the 25th is 16:30 on the 24th in Los Angeles.
LA_AFTERNOON = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


def set_station(station: Station, tz: ZoneInfo, prompt_at: time, phone: str = "") -> Station:
    Station.objects.filter(pk=station.pk).update(time_zone=str(tz), morning_prompt_at=prompt_at, phone=phone)
    station.refresh_from_db()
    return station


def planned(
    station: Station, supervisor: Person, courier: tuple[Courier, Person], day: date, eta: datetime | None
) -> Job:
    job = make_job(station, supervisor.ctx, service_date=day)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    job = svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    if eta is not None:
        job = job_set_plan(job_id=job.pk, planned_seq=1, eta=eta, ctx=supervisor.ctx)
    return job


@pytest.fixture
def shanghai(station: Station) -> Iterator[Station]:
    with time_machine.travel(SH_MORNING, tick=False):
        yield set_station(station, SH, time(7, 0))


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def local(tz: ZoneInfo, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=tz)


def test_the_prompt_day_is_the_stations_own_date_once_its_prompt_time_has_passed(station) -> None:  # type: ignore[no-untyped-def]
    sh = set_station(station, SH, time(7, 0))
    assert station_prompt_day(sh, SH_MORNING) == date(2026, 11, 25)  # UTC still says the 24th
    assert station_prompt_day(sh, datetime(2026, 11, 24, 22, 59, tzinfo=UTC)) is None  # 06:59 there
    la = set_station(station, LA, time(8, 0))
    assert station_prompt_day(la, LA_AFTERNOON) == date(2026, 11, 24)  # UTC already says the 25th
    assert station_prompt_day(la, datetime(2026, 11, 24, 15, 59, tzinfo=UTC)) is None  # 07:59 there


def test_every_planned_delivery_of_the_stations_day_gets_one_prompt_however_often_the_task_runs(
    shanghai, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    today = planned(shanghai, supervisor, courier, date(2026, 11, 25), local(SH, 25, 10))
    yesterday = planned(shanghai, supervisor, courier, date(2026, 11, 24), local(SH, 25, 11))
    unplanned = planned(shanghai, supervisor, courier, date(2026, 11, 25), None)
    imminent = planned(shanghai, supervisor, courier, date(2026, 11, 25), local(SH, 25, 7, 50))
    assert tasks.morning_prompts() == 1
    assert tasks.morning_prompts() == 0
    assert tasks.morning_prompts() == 0
    n = Negotiation.objects.get()
    assert (n.job_id, n.trigger, n.state, n.default_key) == (today.pk, "morning", "offered", "planned")
    first = n.options[0]
    assert (first["key"], first["kind"], when(first["window_start"]), when(first["window_end"])) == (
        "planned",
        "keep",
        local(SH, 25, 9, 30),
        local(SH, 25, 10, 30),
    )
    assert first["text"] == {"zh": "今天 09:30–10:30（按计划）", "en": "Today 09:30–10:30, as planned"}
    assert n.options[-1]["kind"] == "hold_station"
    for o in n.options[1:-1]:  # the route's other windows, none overlapping the planned one
        assert o["kind"] == "window"
        apart = when(o["window_end"]) <= when(first["window_start"]) or when(o["window_start"]) >= when(
            first["window_end"]
        )
        assert apart, o
    assert n.deadline == local(SH, 25, 9, 15)  # a quarter of an hour before the window
    m = Message.objects.get()
    assert (m.job_id, m.trigger, m.occasion, m.template, m.status) == (
        today.pk,
        "morning",
        "2026-11-25",
        "morning",
        "queued",
    )
    assert not Message.objects.filter(job__in=[yesterday, unplanned, imminent]).exists()


def test_the_message_carries_the_window_the_masked_name_and_a_working_link_nothing_private(
    shanghai, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    job = planned(shanghai, supervisor, courier, date(2026, 11, 25), local(SH, 25, 10))
    negotiation_prompt_morning()
    m = Message.objects.get()
    assert m.text.startswith("【Parcelrun】李*您好，您的包裹预计今天09:30–10:30送达。")
    assert "13912345678" not in m.text and job.address not in m.text
    assert job.shipment.recipient_address not in m.text and "李四" not in m.text
    path = m.text.split("http://127.0.0.1:8000", 1)[1]
    page = Client(HTTP_ACCEPT_LANGUAGE="zh").get(path)
    assert page.status_code == 200 and "09:30–10:30" in page.content.decode()


def test_the_window_is_the_plans_at_the_moment_of_the_prompt(shanghai, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = planned(shanghai, supervisor, courier, date(2026, 11, 25), local(SH, 25, 10))
    job_set_plan(
        job_id=job.pk, planned_seq=2, eta=local(SH, 25, 10, 47).replace(second=40), ctx=supervisor.ctx
    )
    negotiation_prompt_morning()
    option = Negotiation.objects.get().options[0]
    assert (when(option["window_start"]), when(option["window_end"])) == (
        local(SH, 25, 10, 17),
        local(SH, 25, 11, 17),
    )


def test_an_id_check_parcel_is_not_offered_the_station(shanghai, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    plain = planned(shanghai, supervisor, courier, date(2026, 11, 25), local(SH, 25, 10))
    flagged = make_job(shanghai, supervisor.ctx, service_date=date(2026, 11, 25), handling=["id_check"])
    svc.scan(tracking_no=flagged.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=flagged.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    job_set_plan(job_id=flagged.pk, planned_seq=2, eta=local(SH, 25, 11), ctx=supervisor.ctx)
    negotiation_prompt_morning()
    kinds = {n.job_id: {o["kind"] for o in n.options} for n in Negotiation.objects.all()}
    assert "hold_station" in kinds[plain.pk]
    assert "hold_station" not in kinds[flagged.pk] and "window" in kinds[flagged.pk]


def test_nothing_before_the_prompt_time_and_a_job_with_an_open_question_is_left_alone(
    station, supervisor, courier
) -> None:  # type: ignore[no-untyped-def]
    sh = set_station(station, SH, time(8, 0))
    with time_machine.travel(SH_MORNING, tick=False):  # 07:30 there
        job = planned(sh, supervisor, courier, date(2026, 11, 25), local(SH, 25, 11))
        assert negotiation_prompt_morning() == 0
        negotiation_propose(
            job_id=job.pk,
            ctx=courier[1].ctx,
            window_start=local(SH, 25, 14),
            window_end=local(SH, 25, 15),
        )
    with time_machine.travel(local(SH, 25, 8, 5), tick=False):
        assert negotiation_prompt_morning() == 0
    assert list(Negotiation.objects.values_list("trigger", flat=True)) == ["courier"]
    assert not Message.objects.exists()


def test_a_los_angeles_station_prompts_its_own_afternoon_date(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    la = set_station(station, LA, time(8, 0))
    with time_machine.travel(LA_AFTERNOON, tick=False):
        today = planned(la, supervisor, courier, date(2026, 11, 24), local(LA, 24, 18))
        utc_today = planned(la, supervisor, courier, date(2026, 11, 25), local(LA, 25, 10))
        assert tasks.morning_prompts() == 1
        assert tasks.morning_prompts() == 0
    m = Message.objects.get()
    assert (m.job_id, m.occasion) == (today.pk, "2026-11-24")
    assert "17:30–18:30" in m.text
    assert not Negotiation.objects.filter(job=utc_today).exists()


def test_the_next_station_day_is_another_prompt(shanghai, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = planned(shanghai, supervisor, courier, date(2026, 11, 25), local(SH, 25, 10))
    negotiation_prompt_morning()
    # The job was not delivered and is planned again for the next day.
    Job.objects.filter(pk=job.pk).update(service_date=date(2026, 11, 26))
    job_set_plan(job_id=job.pk, planned_seq=1, eta=local(SH, 26, 10), ctx=supervisor.ctx)
    with time_machine.travel(local(SH, 26, 7, 5), tick=False):
        assert tasks.expire_due() == 1  # yesterday's question, unanswered: the planned time stood
        assert negotiation_prompt_morning() == 1
    assert sorted(Message.objects.values_list("occasion", flat=True)) == ["2026-11-25", "2026-11-26"]
    assert list(Negotiation.objects.order_by("pk").values_list("state", flat=True)) == [
        "expired",
        "offered",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_once_still_prompt_each_job_once(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    sh = set_station(station, SH, time(7, 0))
    with time_machine.travel(SH_MORNING, tick=False):
        jobs = [planned(sh, supervisor, courier, date(2026, 11, 25), local(SH, 25, 10 + i)) for i in range(3)]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait()
                negotiation_prompt_morning()
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert sorted(Message.objects.values_list("job_id", flat=True)) == sorted(j.pk for j in jobs)
    assert Negotiation.objects.count() == 3
