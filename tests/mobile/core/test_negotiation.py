"""The customer's answer on the handheld, and a time proposed from it (offline too), against the real API.

The handheld core talks to the real views, services and database in-process (tests/mobile/core/
helpers.py); the customer answers through the negotiation service, as the customer's page does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.dispatch.services import courier_replan
from backend.negotiation.models import Negotiation
from backend.negotiation.services import OptionInput, negotiation_answer, negotiation_offer
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from mobile import i18n
from mobile.core import Config, Core
from mobile.offline import outbox
from tests.clock import FIXTURE_DAY, station_tz
from tests.mobile.core.helpers import Network, make_world

pytestmark = pytest.mark.django_db
PASSWORD = "courier-pass-1"
TZ = ZoneInfo(station_tz())
NOW = datetime(2026, 11, 24, 10, 7, tzinfo=TZ)  # the fixture day, mid-morning at the station


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    # Ticking: the sync engine settles ops by comparing answer and pull times.
    with time_machine.travel(NOW, tick=True):
        i18n.set_language("zh_CN")
        yield
    i18n.set_language("zh_CN")


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    return make_world()


def logged_in(tmp_path: Path, world: dict[str, Any], net: Network) -> Core:
    core = Core(Config(data_dir=tmp_path / "phone", pbkdf2_iterations=1000), connect=net.connect)
    core.login(world["courier"].employee_no, PASSWORD)
    return core


def windows(job: Job) -> list[OptionInput]:
    return [
        OptionInput(
            key="w1",
            kind="window",
            text={"zh": "今天 14:00–15:00", "en": "Today 14:00–15:00"},
            window_start=NOW.replace(hour=14, minute=0),
            window_end=NOW.replace(hour=15, minute=0),
        ),
        OptionInput(
            key="st",
            kind="hold_station",
            text={"zh": "在站点自取", "en": "Collect at the station"},
            extra={"pickup_code": "482913"},
        ),
        OptionInput(key="keep", kind="keep", text={"zh": "按原计划派送", "en": "Keep the planned time"}),
    ]


def banner(core: Core, job_id: int) -> str:
    b = core.banner(job_id)
    return "" if b is None else b.text()


def test_the_customers_answer_shows_on_the_job_and_in_todays_order(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    d1, d2, d3 = world["deliveries"]
    core = logged_in(tmp_path, world, Network())
    assert banner(core, d1.pk) == ""
    n = negotiation_offer(
        job_id=d1.pk,
        ctx=world["boss"].ctx,
        trigger="morning",
        options=windows(d1),
        default_key="keep",
        deadline=NOW + timedelta(hours=2),
    )
    core.sync_now()
    assert banner(core, d1.pk) == "等待客户答复"
    held = core.job(d1.pk)["negotiation"]  # type: ignore[index]
    assert [o["key"] for o in held["options"]] == ["w1", "st", "keep"]
    assert "pickup_code" not in held["options"][1]  # the customer's secret stays on the server

    negotiation_answer(negotiation_id=n.pk, option_key="w1", channel="link", language="zh", ctx=Ctx.system())
    courier_replan(courier_id=world["courier"].pk, trigger="test", day=FIXTURE_DAY)  # the follow-up's work
    core.sync_now()
    assert banner(core, d1.pk) == "客户已选择 14:00–15:00"
    rows, _ = core.today()
    row = next(r for r in rows if r.job_id == d1.pk)
    assert (row.marker, row.window) == ("客户已选择 14:00–15:00", "14:00–15:00")
    server = Job.objects.filter(courier=world["courier"]).order_by("planned_seq", "pk")
    planned = [j.pk for j in server if j.planned_seq is not None]
    assert [r.job_id for r in rows][: len(planned)] == planned  # the server's new order
    i18n.set_language("en")
    assert banner(core, d1.pk) == "Customer chose 14:00–15:00"

    # A fresh handheld (a first pull) shows the same answer.
    again = logged_in(tmp_path / "second", world, Network())
    assert banner(again, d1.pk) == "Customer chose 14:00–15:00"


def test_a_time_proposed_offline_reaches_the_customer_and_their_answer_comes_back(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    d1 = world["deliveries"][0]
    net = Network()
    core = logged_in(tmp_path, world, net)
    slots = core.proposal_slots()
    assert [s.label for s in slots[:3]] == ["10:30", "11:00", "11:30"]
    net.up = False
    op_id = core.propose(d1.pk, slots[2])
    assert banner(core, d1.pk) == "已提议 11:30–12:00，等待客户答复"
    (op,) = [o for o in core.pending_ops() if o.kind == "propose"]
    assert (op.op_id, op.payload["job_id"], op.state) == (op_id, d1.pk, "queued")
    assert datetime.fromisoformat(op.payload["window_start"]) == slots[2].start

    net.up = True
    core.sync_now()
    n = Negotiation.objects.get(job_id=d1.pk, state="offered")
    assert (n.trigger, n.option("proposed")["window_start"]) == ("courier", slots[2].start.isoformat())  # type: ignore[index]
    assert core.pending_count() == 0
    assert banner(core, d1.pk) == "已提议 11:30–12:00，等待客户答复"
    assert core.job(d1.pk)["negotiation"]["id"] == n.pk  # type: ignore[index]  # the server's, now

    negotiation_answer(
        negotiation_id=n.pk, option_key="proposed", channel="link", language="zh", ctx=Ctx.system()
    )
    core.sync_now()
    assert banner(core, d1.pk) == "客户已选择 11:30–12:00"
    assert core.today()[0][0].job_id is not None
    job = core.job(d1.pk)
    assert datetime.fromisoformat(job["window_start"]) == slots[2].start  # type: ignore[index]


def test_a_refused_proposal_shows_its_reason_until_something_newer_comes(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    d1 = world["deliveries"][0]
    net = Network()
    core = logged_in(tmp_path, world, net)
    net.up = False
    slot = core.proposal_slots()[0]  # 10:30
    core.propose(d1.pk, slot)
    # Offline until the proposed time has passed: the server refuses it when it finally arrives.
    with time_machine.travel(NOW + timedelta(hours=1), tick=True):
        net.up = True
        report = core.sync_now()
        assert report is not None and report.rejected == 1
        (op,) = [o for o in core.pending_ops() if o.kind == "propose"]
        assert (op.state, op.code) == ("rejected", "invalid_time_window")
        b = core.banner(d1.pk)
        assert b is not None and b.kind == "refused" and b.colour == "failed"
        assert b.text() == f"提议被拒绝：{op.message}"
        # The supervisor asks the customer something else: that question shows instead.
        negotiation_offer(
            job_id=d1.pk,
            ctx=world["boss"].ctx,
            trigger="supervisor",
            options=windows(d1),
            default_key="keep",
            deadline=NOW + timedelta(hours=3),
        )
        core.sync_now()
        assert core.banner(d1.pk).kind == "proposed"  # type: ignore[union-attr]
        assert outbox.rejected(core.store)[0].kind == "propose"  # type: ignore[arg-type]
