"""The customer's answer on the handheld and a time proposed with taps, in the real app under Xvfb.

The customer answers through the negotiation service (as their page does), the app syncs, and the
banner shows on the Today row and on the job; then the courier proposes a time: open the job,
"Propose a time", tap a time, "Send to customer". Screenshots at 720×1280 in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.negotiation.models import Negotiation
from backend.negotiation.services import OptionInput, negotiation_answer, negotiation_offer
from backend.shipments.context import Ctx
from tests.clock import station_tz
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app
from tests.ui.driver import Driver

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"
TZ = ZoneInfo(station_tz())
NOW = datetime(2026, 11, 24, 10, 7, tzinfo=TZ)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def row_for(ui: Driver, job_id: int) -> Any:
    rows = ui.ids("today").route.children[0].children
    return next(r for r in rows if r.job_id == str(job_id))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_answer_shows_and_a_time_is_proposed_with_taps(
    window: Any, screenshots: Path, tmp_path: Path, language: str
) -> None:
    world, net = make_world(), Network()
    d1, d2, _ = world["deliveries"]
    core = make_core(tmp_path / "phone", net, scale_path="", printer_port=9, camera="")
    with running_app(core, screenshots, language) as ui:
        app, tr = ui.app, ui.app.tr
        ids = ui.ids("login")
        ui.type_into(ids.employee_no, world["courier"].employee_no)
        ui.type_into(ids.password, PASSWORD)
        ui.tap(ids.login_button)
        assert app.root.current == "today"

        # The station asks d1's customer; the answer comes back with the next sync.
        n = negotiation_offer(
            job_id=d1.pk,
            ctx=world["boss"].ctx,
            trigger="morning",
            options=[
                OptionInput(
                    "w1",
                    "window",
                    {"zh": "今天 14:00–15:00", "en": "Today 14:00–15:00"},
                    NOW.replace(hour=14, minute=0),
                    NOW.replace(hour=15, minute=0),
                ),
                OptionInput("keep", "keep", {"zh": "按原计划派送", "en": "Keep the planned time"}),
            ],
            default_key="keep",
            deadline=NOW + timedelta(hours=2),
        )
        app.sync_now()
        ui.frames(3)
        assert row_for(ui, d1.pk).marker == tr("Waiting for the customer's answer")
        negotiation_answer(
            negotiation_id=n.pk, option_key="w1", channel="link", language="zh", ctx=Ctx.system()
        )
        app.sync_now()
        ui.frames(3)
        chose = tr("Customer chose {window}", window="14:00–15:00")
        assert row_for(ui, d1.pk).marker == chose
        assert row_for(ui, d1.pk).window == "14:00–15:00"
        ui.shot(f"{language}_13_today_negotiation")
        ui.tap(row_for(ui, d1.pk))
        deliver = app.root.get_screen("deliver")
        assert app.root.current == "deliver" and deliver.ids.banner.text == chose
        ui.shot(f"{language}_14_deliver_answered")

        # Propose a time to d2's customer: three taps from the job, no typing.
        app.go("today")
        ui.frames(2)
        ui.tap(row_for(ui, d2.pk))
        taps = ui.taps
        ui.tap(deliver.ids.propose_button)
        propose = app.root.get_screen("propose")
        assert app.root.current == "propose" and propose.day == tr("Today")
        chips = sorted(propose.ids.slots.children, key=lambda c: int(c.value))
        assert [c.text for c in chips[:3]] == ["10:30", "11:00", "11:30"]
        assert propose.ids.send_button.y < window.height / 3  # the main action is in the bottom third
        ui.tap(chips[1])
        ui.shot(f"{language}_15_propose")
        ui.tap(propose.ids.send_button)
        assert ui.taps - taps == 3
        assert app.root.current == "deliver"
        proposed = tr("Proposed {window}: waiting for the customer", window="11:00–11:30")
        assert deliver.ids.banner.text == proposed
        app.sync_now()
        ui.frames(3)
        assert app.pending == 0
        sent = Negotiation.objects.get(job_id=d2.pk, state="offered")
        assert sent.trigger == "courier"
        assert datetime.fromisoformat(sent.option("proposed")["window_start"]) == NOW.replace(  # type: ignore[arg-type,index]
            hour=11, minute=0
        )
        assert deliver.ids.banner.text == proposed
        ui.shot(f"{language}_16_deliver_proposed")
