"""Courier app benchmarks: cold start to Today with 300 jobs, scan-to-feedback, a 150-parcel batch,
and 150 keyboard-wedge scans typed as real X key events (xdotool, Shift for capitals), one per 300 ms.

    .venv/bin/python bench/mobile.py            # JSON lines on stdout; exit 1 when a limit is missed

Cold start is measured from the parent: spawn ``python bench/mobile.py --child`` (the real Kivy app
on an Xvfb display, a handheld that was logged in and holds 300 jobs) and wait for the line it
prints after the first frame of the Today screen with every row in the RecycleView data.
Scan-to-feedback is the time from the scanner's Enter key to the verdict being shown: in the core
(judge + the op stored with fsync + the event) and in the app (key events through the Window to
the scan screen, one frame drawn). The wedge run spawns the app the same way and types with
xdotool into its window; the app times each scan itself, from the Return key's arrival to the flip
of the frame that shows the verdict (bench/wedge.py), and every scan must be accepted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit  # noqa: E402 - after the path tweak
from bench.xvfb import start_xvfb  # noqa: E402 - after the path tweak for `python bench/mobile.py`
from mobile.core.auth import DeviceAuth  # noqa: E402
from mobile.offline.local_state import apply_changes  # noqa: E402
from mobile.offline.store import Store  # noqa: E402
from mobile.offline.sync import Reply  # noqa: E402
from parcelkit.rules.tracking import make_tracking_no  # noqa: E402

COLD_START_LIMIT_S = 2.0
FEEDBACK_LIMIT_MS = 100.0
BATCH_INTERVAL_MS = 300.0
EMPLOYEE = "E1001"
PROFILE = {
    "role": "courier",
    "user": {"id": 1, "username": "c1"},
    "courier": {"id": 1, "employee_no": EMPLOYEE, "name": "王师傅"},
    "station": {"id": 1, "code": "HZ01", "name": "西湖站", "time_zone": "Asia/Shanghai"},
}


class LoginOnce:
    def request(self, method: str, path: str, **_: Any) -> Reply:
        return Reply(200, {"token": "bench-token", **PROFILE})


def job(n: int, start: datetime) -> dict[str, Any]:
    eta = start + timedelta(minutes=2 * n)
    return {
        "id": n,
        "kind": "pickup" if n % 10 == 0 else "delivery",
        "status": "assigned",
        "version": 1,
        "station_id": 1,
        "courier_id": 1,
        "service_date": start.date().isoformat(),
        "address": f"杭州市西湖区文三路{n}号",
        "lat": 30.28,
        "lng": 120.13,
        "window_start": (eta - timedelta(minutes=30)).isoformat(),
        "window_end": (eta + timedelta(minutes=30)).isoformat(),
        "priority": 0,
        "planned_seq": n,
        "eta": eta.isoformat(),
        "attempt_count": 0,
        "next_step": {},
        "shipment": {
            "id": n,
            "tracking_no": make_tracking_no(10_000 + n),
            "status": "at_station",
            "station_id": 1,
            "service_level": "standard",
            "recipient_name": f"李{n}",
            "recipient_phone": "13912345678",
            "recipient_address": f"杭州市西湖区文三路{n}号",
            "promised_start": None,
            "promised_end": None,
            "cod_amount_fen": 0,
            "handling": [],
            "pieces": 1,
            "measured_weight_g": None,
            "price_fen": None,
        },
    }


def seed(data_dir: Path, jobs: int) -> list[str]:
    """A handheld that logged in yesterday and pulled ``jobs`` jobs; returns the delivery tracking numbers."""
    auth = DeviceAuth(data_dir / "auth.json", iterations=1000)
    auth.login(EMPLOYEE, "secret", LoginOnce())  # type: ignore[arg-type]
    (data_dir / f"courier-{EMPLOYEE}").mkdir(parents=True, exist_ok=True)
    store = Store(str(data_dir / f"courier-{EMPLOYEE}" / "store.sqlite3"), device_id=auth.device_id)
    start = datetime(2026, 11, 24, 9, tzinfo=UTC)
    rows = [job(n, start) for n in range(1, jobs + 1)]
    with store.tx():
        apply_changes(store, [{"op": "snapshot"}] + [{"op": "job", "job": j} for j in rows])
        store.set_meta("cursor", "1")
    store.close()
    return [j["shipment"]["tracking_no"] for j in rows if j["kind"] == "delivery"]


def percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


def bench_core_scans(tmp: Path) -> bool:
    from mobile.core import Config, Core
    from mobile.scanning.scan_session import ScanMode, Verdict

    numbers = seed(tmp / "core", 300)[:150]
    core = Core(Config(data_dir=tmp / "core", server_url="http://127.0.0.1:9", pbkdf2_iterations=1000))
    assert core.resume()
    core.start_scan(ScanMode.LOADED_OUT)
    times, verdicts, at = [], [], 0.0
    for number in numbers:  # the scanner types 14 characters in ~30 ms, then Enter
        for ch in number:
            core.key(ch, at)
            at += 0.002
        t0 = time.perf_counter()
        result = core.key("\r", at)
        times.append((time.perf_counter() - t0) * 1000)
        verdicts.append(result.verdict if result else None)
        at += BATCH_INTERVAL_MS / 1000
    stats = percentiles(times)
    ok = all(v is Verdict.OK for v in verdicts) and stats["max_ms"] <= FEEDBACK_LIMIT_MS
    emit(
        bench="mobile.scan_to_feedback_core",
        **stats,
        limit_ms=FEEDBACK_LIMIT_MS,
        ok=ok,
        note="Enter key → verdict, op stored (fsync) and event emitted; 150 parcels loaded out",
    )
    batch_ok = ok and stats["max_ms"] < BATCH_INTERVAL_MS and core.pending_count() == 150
    emit(
        bench="mobile.batch_150_at_300ms",
        recorded=core.pending_count(),
        max_ms=stats["max_ms"],
        limit_ms=BATCH_INTERVAL_MS,
        ok=batch_ok,
    )
    return ok and batch_ok


def app_env(tmp: Path, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONFIG": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_HOME": str(tmp / "kivy"),
        "KIVY_CLIPBOARD": "sdl2",
        "KIVY_LOG_MODE": "PYTHON",
        "KIVY_NO_CONSOLELOG": "1",
        "PARCELRUN_DATA_DIR": str(data_dir),
        "PARCELRUN_SERVER": "http://127.0.0.1:9",
        "PYTHONPATH": str(ROOT),
    }


def bench_cold_start(tmp: Path, runs: int = 3) -> bool:
    numbers = seed(tmp / "app", 300)
    env = app_env(tmp, tmp / "app")
    starts, ui_ms, ok = [], [], True
    for run in range(runs):
        t0 = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", ",".join(numbers[:60])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        assert child.stdout is not None
        ready = None
        for line in child.stdout:
            message = json.loads(line)
            if message["event"] == "today" and ready is None:
                ready = time.perf_counter() - t0
                if message["rows"] != 300:
                    ok = False
            elif message["event"] == "scans":
                ui_ms += message["ms"] if run == 0 else []
        child.wait(timeout=60)
        starts.append(ready if ready is not None else float("inf"))
    best, worst = min(starts), max(starts)
    cold_ok = ok and worst <= COLD_START_LIMIT_S
    emit(
        bench="mobile.cold_start_today_300_jobs",
        seconds_min=round(best, 3),
        seconds_max=round(worst, 3),
        seconds_each=[round(s, 3) for s in starts],  # in order: the first is the coldest
        runs=runs,
        limit_s=COLD_START_LIMIT_S,
        ok=cold_ok,
        note="process spawn → first Today frame with 300 rows (Python + Kivy + window + CJK font + store)",
    )
    stats = percentiles(ui_ms) if ui_ms else {"n": 0, "max_ms": float("inf")}
    ui_ok = bool(ui_ms) and stats["max_ms"] <= FEEDBACK_LIMIT_MS
    emit(
        bench="mobile.scan_to_feedback_ui",
        **stats,
        limit_ms=FEEDBACK_LIMIT_MS,
        ok=ui_ok,
        note="Enter key event → scan screen shows the verdict, one frame drawn (Xvfb, llvmpipe)",
    )
    return cold_ok and ui_ok


def child(numbers: list[str]) -> None:
    """Runs inside the spawned process: the real app, then the UI scan loop, then exit."""
    from kivy.base import EventLoop
    from kivy.clock import Clock

    from mobile.launch import core_from_env
    from mobile.screens.app import ParcelrunApp

    app = ParcelrunApp(core_from_env())

    def on_today(_dt: float) -> None:
        screen = app.root.get_screen("today")
        print(json.dumps({"event": "today", "rows": len(screen.ids.route.data)}), flush=True)
        Clock.schedule_once(scans, 0)

    def scans(_dt: float) -> None:
        from kivy.core.window import Window

        app.core.stop_background()
        app.open_scan("loaded_out")
        EventLoop.idle()
        scan = app.root.get_screen("scan")
        ms = []
        for number in numbers:
            for ch in number:
                Window.dispatch("on_key_down", ord(ch), 0, ch, [])
            t0 = time.perf_counter()
            Window.dispatch("on_key_down", 13, 40, None, [])
            EventLoop.idle()  # the mainthread callback runs and the frame is drawn
            assert scan.code == number, (scan.code, number)
            ms.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"event": "scans", "ms": ms}), flush=True)
        app.stop()

    app.bind(on_start=lambda *_: Clock.schedule_once(on_today, 0))
    app.run()


def bench_wedge(tmp: Path, scans: int = 150) -> bool:
    """150 scans typed by a wedge scanner (real X key events), one every 300 ms, into the running app."""
    from bench.wedge import focus, send_scan

    numbers = seed(tmp / "wedge", 300)[:scans]
    app = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--wedge-child", ",".join(numbers)],
        env=app_env(tmp, tmp / "wedge"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert app.stdout is not None
    result: dict[str, Any] = {}
    for line in app.stdout:
        ready = json.loads(line)
        if ready["event"] == "ready":
            break
    focus(ready["window"])
    typing = []
    start = time.perf_counter()
    late = 0
    for n, number in enumerate(numbers):  # paced on the clock, not after each scan's answer
        time.sleep(max(0.0, start + n * BATCH_INTERVAL_MS / 1000 - time.perf_counter()))
        if typing and typing[-1].poll() is None:  # one scanner: a scan's keys never mix with the next's
            late += 1
            typing[-1].wait(timeout=30)
        typing.append(send_scan(number))
    for proc in typing:
        proc.wait(timeout=30)
    for line in app.stdout:
        result = json.loads(line)
        if result["event"] == "wedge":
            break
    app.wait(timeout=60)
    ms = result.get("ms", [])
    accepted = result.get("accepted", 0)
    stats = percentiles(ms) if ms else {"n": 0, "p95_ms": float("inf")}
    ok = (
        result.get("codes") == numbers
        and accepted == scans
        and result.get("recorded") == scans
        and stats["p95_ms"] <= FEEDBACK_LIMIT_MS
    )
    emit(
        bench="mobile.wedge_150_at_300ms",
        **stats,
        accepted=accepted,
        recorded=result.get("recorded"),
        refused=result.get("refused", [])[:10],
        typed_late=late,  # scans xdotool could not start on their 300 ms slot (machine load)
        seconds=round(time.perf_counter() - start, 1),
        limit_ms=FEEDBACK_LIMIT_MS,
        ok=ok,
        note="xdotool keys (Shift for capitals, Return) → the app's Return key arrival → verdict frame flipped",
    )
    return ok


def wedge_child(numbers: list[str]) -> None:
    """Runs inside the spawned process: the app on its scan screen, timing the scans xdotool types."""
    from kivy.clock import Clock
    from kivy.core.window import Window

    from bench.wedge import FeedbackClock, window_id
    from mobile.launch import core_from_env
    from mobile.screens.app import ParcelrunApp

    app = ParcelrunApp(core_from_env())
    clock: list[FeedbackClock] = []

    def ready(_dt: float) -> None:
        app.core.stop_background()
        app.open_scan("loaded_out")
        clock.append(FeedbackClock(Window, app.root.get_screen("scan"), app.core.bus))
        Clock.schedule_interval(done, 0.1)
        Clock.schedule_once(lambda _dt: finish(), len(numbers) * BATCH_INTERVAL_MS / 1000 + 30)
        print(json.dumps({"event": "ready", "window": window_id(Window)}), flush=True)

    def done(_dt: float) -> None:
        if len(clock[0].ms) >= len(numbers):
            finish()

    def finish() -> None:
        c = clock[0]
        accepted = sum(v == "ok" for v in c.verdicts)
        recorded = app.core.pending_count()
        print(
            json.dumps(
                {
                    "event": "wedge",
                    "ms": c.ms,
                    "codes": c.codes,
                    "accepted": accepted,
                    "recorded": recorded,
                    "refused": [[code, v] for code, v in zip(c.codes, c.verdicts, strict=False) if v != "ok"],
                }
            ),
            flush=True,
        )
        app.stop()

    app.bind(on_start=lambda *_: Clock.schedule_once(ready, 0))
    app.run()


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2].split(","))
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "--wedge-child":
        wedge_child(sys.argv[2].split(","))
        return 0
    xvfb = start_xvfb("800x1400x24")
    try:
        with tempfile.TemporaryDirectory(prefix="parcelrun-bench-") as tmp:
            results = [bench_core_scans(Path(tmp)), bench_cold_start(Path(tmp)), bench_wedge(Path(tmp))]
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
