"""Issue 17 item 12 on the real app, in zh_CN at 720 × 1280 and 1080 × 2340: long addresses wrap (Deliver's
header never runs over the chips, Today's row shows the start of the address, not its middle cut out),
the logout warning follows the live count, a COD error goes once the cash is collected, and
另约时间段 is picked with day and slot chips."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from mobile.offline import outbox
from tests.clock import station_tz
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app
from tests.ui.test_pickup_contents import SIZES, sized

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"
TZ = ZoneInfo(station_tz())
NOW = datetime(2026, 11, 24, 10, 7, tzinfo=TZ)
LONG = "浙江省杭州市西湖区文三路与学院路交叉口东北角华星时代广场A座十七楼1703室前台转交物业管理处"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def a_day(tmp_path: Path) -> tuple[dict[str, Any], Network, Any]:
    from backend.shipments.models import Job, Shipment

    world, net = make_world(), Network()
    first = world["deliveries"][0]
    Job.objects.filter(pk=first.pk).update(address=LONG)
    Shipment.objects.filter(pk=first.shipment_id).update(cod_amount_fen=88_00)
    core = make_core(tmp_path / "phone", net, scale_path="", printer_port=9, camera="")
    core.login(world["courier"].employee_no, PASSWORD)
    return world, net, core


@pytest.mark.parametrize("size", SIZES, ids=["720x1280", "1080x2340"])
def test_long_addresses_wrap_and_cod_errors_clear(
    window: Any, screenshots: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    world, _net, core = a_day(tmp_path)
    job = world["deliveries"][0]
    tag = f"zh_CN_{size[0]}x{size[1]}_17"
    with sized(window, size), running_app(core, screenshots, "zh_CN") as ui:
        ui.frames(5)
        rows = ui.ids("today").route.children[0].children
        row = next(r for r in rows if r.job_id == str(job.pk))
        label = next(w for w in row.walk(restrict=True) if getattr(w, "text", None) == LONG)
        assert not label.shorten and label.max_lines == 2  # wrapped from its start, never cut mid-way
        assert label.texture_size[1] <= label.height + 1
        ui.shot(f"{tag}_today_long_address")
        core.begin_delivery(job.pk, scanned=job.shipment.tracking_no)
        ui.app.go("deliver")
        ui.frames(4)
        deliver = ui.app.screen("deliver")
        header = next(w for w in deliver.walk(restrict=True) if getattr(w, "text", None) == deliver.header)
        assert LONG in deliver.header and header.texture_size[1] <= header.height
        chips = deliver.ids.method_signature
        assert header.y >= chips.top  # the header sits above the proof chips, not over them
        ui.tap(deliver.ids.method_photo)
        ui.tap(deliver.ids.deliver_button)  # no photo, no cash: refused with the list
        assert deliver.problems
        ui.shot(f"{tag}_deliver_long_address_refused")
        ui.tap(deliver.ids.cod_button)
        assert deliver.problems == ""  # fixed: no stale "collect the cash"


@pytest.mark.parametrize("size", SIZES, ids=["720x1280", "1080x2340"])
def test_the_logout_warning_follows_the_live_count(
    window: Any, screenshots: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    world, net, core = a_day(tmp_path)
    net.up = False
    for job in world["deliveries"][1:]:
        core.actions.record_start(job.pk)  # two ops waiting for a signal
    with sized(window, size), running_app(core, screenshots, "zh_CN") as ui:
        ui.app.go("end_of_day")
        ui.frames(3)
        eod = ui.app.screen("end_of_day")
        ui.tap(eod.ids.logout)
        assert eod.confirm_force and "2" in eod.logout_warning
        ui.shot(f"zh_CN_{size[0]}x{size[1]}_17_logout_warning")
        net.up = True
        core.sync_now()  # the upload goes through while the warning shows
        ui.frames(4)
        assert core.pending_count() == 0
        assert eod.logout_warning == "" and not eod.confirm_force
        ui.shot(f"zh_CN_{size[0]}x{size[1]}_17_logout_warning_synced")


@pytest.mark.parametrize("size", SIZES, ids=["720x1280", "1080x2340"])
def test_a_new_time_is_picked_with_day_and_slot_chips(
    window: Any, screenshots: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    world, _net, core = a_day(tmp_path)
    job = world["deliveries"][1].pk
    with sized(window, size), running_app(core, screenshots, "zh_CN") as ui:
        tr = ui.app.tr
        core.begin_fail(job)
        ui.app.go("fail")
        ui.frames(4)
        fail = ui.app.screen("fail")
        ui.tap(next(c for c in fail.ids.reasons.children if c.value == "not_home"))
        ui.tap(fail.ids.photo_button)  # no camera here: on without a photo
        ui.tap(next(c for c in fail.ids.calls.children if c.value == "no_answer"))
        ui.tap(fail.ids.no_camera_button)
        assert fail.step == "next_step"
        ui.tap(next(c for c in fail.ids.next_steps.children if c.value == "new_window"))
        days = {c.text: c for c in fail.ids.new_days.children}
        tomorrow = (NOW + timedelta(days=1)).date()
        chip = days[f"{tr('Tomorrow')} {tomorrow:%m-%d}"]
        ui.tap(chip)
        slots = list(reversed(fail.ids.new_slots.children))
        assert [s.text for s in slots][:2] == ["08:00–10:00", "10:00–12:00"]
        ui.tap(slots[1])
        ui.shot(f"zh_CN_{size[0]}x{size[1]}_17_fail_new_time_chips")
        ui.tap(fail.ids.fail_confirm)
        assert ui.app.root.current == "today"
        (op,) = [o for o in outbox.all_ops(core.store) if o.kind == "fail" and o.job_id == job]
        start = datetime.fromisoformat(op.payload["next_step"]["window_start"])
        assert start == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, 0, tzinfo=TZ)
