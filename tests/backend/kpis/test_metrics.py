"""The KPI definitions (docs/kpis.md) on hand-built event histories, figures worked out here.

Pure: no database, no clock. Every instant is written in the station's zone; the day a figure
belongs to is the station's local date of the device time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from backend.kpis.metrics import Event, Negotiated, Parcel, Proof, Window, day_figures, ratio
from backend.kpis.models import Metric

TZ = "Asia/Shanghai"
D = date(2026, 11, 24)
STATION, ELSEWHERE = 10, 99
ALICE, BOB = 1, 2  # couriers
JOB = 100


def at(hour: int, minute: int = 0, day: date = D, tz: str = TZ) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=ZoneInfo(tz))


def ev(
    kind: str, when: datetime, *, by: int | None = ALICE, late: timedelta = timedelta(seconds=5), **kw: object
) -> Event:
    """An event recorded by courier ``by`` and received ``late`` after its device time."""
    return Event(kind=kind, event_at=when, received_at=when + late, courier_id=by, **kw)  # type: ignore[arg-type]


SIGNED = Proof(method="signature", located=True, media_named=1, media_received=1)


def parcel(
    events: list[Event], *, promised: Window | None = None, kind: str = "delivery", **kw: object
) -> Parcel:
    promised = promised or Window(at(9), at(12))
    return Parcel(
        shipment_id=kw.pop("shipment_id", 1),  # type: ignore[arg-type]
        station_id=STATION,
        promised=promised,
        job_kinds={JOB: kind},
        job_windows={JOB: promised},
        events=events,
        **kw,  # type: ignore[arg-type]
    )


def delivered(when: datetime, *, by: int = ALICE, method: str = "signature", **kw: object) -> Event:
    details = {"method": method, **kw.pop("details", {})}  # type: ignore[dict-item]
    return ev("delivered", when, by=by, job_id=JOB, details=details, **kw)


def failed(when: datetime, *, by: int = ALICE) -> Event:
    return ev("delivery_attempt", when, by=by, job_id=JOB, details={"reason": "not_home"})


def test_a_late_first_attempt_is_a_first_attempt_success_but_not_on_time() -> None:
    # Promised 09:00–12:00; loaded at 08:00, delivered at the first attempt at 14:00: two hours late.
    p = parcel(
        [ev("loaded_out", at(8), job_id=None), delivered(at(14))],
        proofs={JOB: SIGNED},
    )
    f = day_figures([p], D, TZ)
    assert f[(Metric.ON_TIME, None)] == (0, 1)  # 14:00 > 12:00
    assert f[(Metric.FIRST_ATTEMPT, None)] == (1, 1)  # the first attempt delivered it
    assert f[(Metric.ATTEMPTS, None)] == (1, 1)  # 1 attempt for 1 parcel
    assert f[(Metric.PROOF_COMPLETE, None)] == (1, 1)
    assert f[(Metric.SCAN_TIMELY, None)] == (2, 2)  # loaded_out and delivered, each 5 s after
    assert f[(Metric.MIS_SORT, None)] == (0, 1)  # one sorted parcel, loaded by its holder
    # The courier's own rows are the same: Alice did everything.
    assert f[(Metric.ON_TIME, ALICE)] == (0, 1) and f[(Metric.FIRST_ATTEMPT, ALICE)] == (1, 1)


def test_a_kept_negotiated_window_is_on_time_although_the_promised_one_was_missed() -> None:
    # Promised 09:00–12:00. 10:00 nobody home; at 11:00 the customer picks 18:00–20:00;
    # delivered at 19:00: late against the promise, on time against what was agreed.
    p = parcel(
        [failed(at(10)), delivered(at(19))],
        negotiated=[Negotiated(answered_at=at(11), window=Window(at(18), at(20)))],
        proofs={JOB: SIGNED},
    )
    f = day_figures([p], D, TZ)
    assert f[(Metric.ON_TIME, None)] == (1, 1)  # 19:00 <= 20:00, the negotiated end
    assert f[(Metric.FIRST_ATTEMPT, None)] == (0, 1)  # the 10:00 attempt failed
    assert f[(Metric.ATTEMPTS, None)] == (2, 1)  # 2 attempts, 1 parcel: 2.0
    assert ratio(Metric.ATTEMPTS, 2, 1) == 2.0


def test_a_window_agreed_after_the_delivery_does_not_judge_it() -> None:
    p = parcel(
        [delivered(at(13))], negotiated=[Negotiated(answered_at=at(14), window=Window(at(18), at(20)))]
    )
    assert day_figures([p], D, TZ)[(Metric.ON_TIME, None)] == (0, 1)  # judged by the promise: 13:00 > 12:00


def test_a_re_delivery_the_next_day_counts_its_attempts_on_the_day_it_was_delivered() -> None:
    # D 15:00 failed (Alice); D+1 10:00 delivered (Bob). Promised D 09:00–18:00.
    nxt = D + timedelta(days=1)
    p = parcel(
        [failed(at(15)), delivered(at(10, day=nxt), by=BOB)],
        promised=Window(at(9), at(18)),
        proofs={JOB: SIGNED},
    )
    day1, day2 = day_figures([p], D, TZ), day_figures([p], nxt, TZ)
    # Day D: the first attempt happened and failed; nothing was delivered.
    assert day1[(Metric.FIRST_ATTEMPT, None)] == (0, 1) and day1[(Metric.FIRST_ATTEMPT, ALICE)] == (0, 1)
    assert (Metric.ON_TIME, None) not in day1 and (Metric.ATTEMPTS, None) not in day1
    # Day D+1: delivered after 2 attempts, a day after the promised window ended; no first attempt.
    assert day2[(Metric.ATTEMPTS, None)] == (2, 1) and day2[(Metric.ATTEMPTS, BOB)] == (2, 1)
    assert day2[(Metric.ON_TIME, None)] == (0, 1)
    assert (Metric.FIRST_ATTEMPT, None) not in day2


def test_mis_sorts_are_scans_at_another_station_or_loads_onto_another_courier_s_route() -> None:
    # Parcel 1: its delivery job was given to Alice, but Bob loaded it: wrong route.
    wrong_route = parcel(
        [
            ev("job_assigned", at(7), by=None, job_id=JOB, to_courier_id=ALICE),
            ev("loaded_out", at(8), by=BOB),
        ],
        shipment_id=1,
    )
    # Parcel 2: scanned in at another station before ours: wrong station.
    wrong_station = parcel(
        [
            ev("station_in", at(6), by=None, station_id=ELSEWHERE),
            ev("station_in", at(9), by=None, station_id=STATION),
        ],
        shipment_id=2,
    )
    # Parcel 3: given to Alice, loaded by Alice: right. Scanned twice, still one sorted parcel.
    right = parcel(
        [
            ev("job_assigned", at(7), by=None, job_id=JOB, to_courier_id=ALICE),
            ev("sorted", at(7, 30), by=None, station_id=STATION),
            ev("loaded_out", at(8), by=ALICE),
        ],
        shipment_id=3,
    )
    # Parcel 4: given to Alice, then reassigned to Bob before Bob loaded it: right.
    reassigned = parcel(
        [
            ev("job_assigned", at(7), by=None, job_id=JOB, to_courier_id=ALICE),
            ev("job_assigned", at(7, 40), by=None, job_id=JOB, to_courier_id=BOB),
            ev("loaded_out", at(8), by=BOB),
        ],
        shipment_id=4,
    )
    f = day_figures([wrong_route, wrong_station, right, reassigned], D, TZ)
    assert f[(Metric.MIS_SORT, None)] == (2, 4)  # parcels 1 and 2 of 4 sorted parcels
    assert f[(Metric.MIS_SORT, BOB)] == (1, 2)  # Bob loaded parcels 1 (wrong) and 4 (right)
    assert f[(Metric.MIS_SORT, ALICE)] == (0, 1)
    assert ratio(Metric.MIS_SORT, 2, 4) == 50.0


def test_a_scan_uploaded_late_counts_against_scan_timeliness_on_the_day_it_was_scanned() -> None:
    p = parcel(
        [
            ev("station_in", at(8), by=ALICE, late=timedelta(minutes=30)),  # late: 30 min > 10
            ev("sorted", at(8, 5), by=ALICE, late=timedelta(minutes=10)),  # exactly 10 min: in time
            ev("job_accepted", at(8, 6), by=ALICE, job_id=JOB, late=timedelta(hours=2)),  # not a scan
        ]
    )
    f = day_figures([p], D, TZ)
    assert f[(Metric.SCAN_TIMELY, None)] == (1, 2) and f[(Metric.SCAN_TIMELY, ALICE)] == (1, 2)


def test_a_delivery_made_offline_and_uploaded_the_next_day_counts_for_the_day_it_was_made() -> None:
    # Delivered at 23:50 on D in a basement, uploaded at 08:00 on D+1 (8 h 10 min later).
    nxt = D + timedelta(days=1)
    p = parcel(
        [
            ev("job_started", at(23, 30), job_id=JOB),
            delivered(at(23, 50), late=timedelta(hours=8, minutes=10)),
        ],
        promised=Window(at(18), at(23, 59)),
        proofs={JOB: SIGNED},
    )
    day1, day2 = day_figures([p], D, TZ), day_figures([p], nxt, TZ)
    assert day1[(Metric.ON_TIME, None)] == (1, 1)  # 23:50 <= 23:59
    assert day1[(Metric.FIRST_ATTEMPT, None)] == (1, 1)
    assert day1[(Metric.SCAN_TIMELY, None)] == (0, 1)  # but it came in late
    assert day2 == {}  # nothing of it belongs to the upload's day


def test_the_day_is_the_station_s_local_date_not_the_utc_date() -> None:
    # 07:30 in Shanghai on D+1 is 23:30 UTC on D.
    nxt = D + timedelta(days=1)
    early = parcel([delivered(at(7, 30, day=nxt))], promised=Window(at(7, day=nxt), at(12, day=nxt)))
    assert early.events[0].event_at.astimezone(ZoneInfo("UTC")).date() == D
    assert day_figures([early], D, TZ) == {}
    assert day_figures([early], nxt, TZ)[(Metric.ON_TIME, None)] == (1, 1)
    # 19:00 in Los Angeles on D is 03:00 UTC on D+1.
    la = "America/Los_Angeles"
    evening = parcel([delivered(at(19, tz=la))], promised=Window(at(9, tz=la), at(20, tz=la)))
    assert evening.events[0].event_at.astimezone(ZoneInfo("UTC")).date() == nxt
    assert day_figures([evening], D, la)[(Metric.ON_TIME, None)] == (1, 1)
    assert day_figures([evening], nxt, la) == {}


def test_proof_completeness_needs_a_position_and_every_image_received() -> None:
    cases = {
        1: Proof("signature", located=True, media_named=1, media_received=1),  # complete
        2: Proof("signature", located=True, media_named=2, media_received=1),  # an image still missing
        3: Proof("code", located=False, media_named=0, media_received=0),  # no position
        4: Proof("code", located=True, media_named=0, media_received=0),  # complete: a code needs no image
    }
    parcels = [parcel([delivered(at(10))], shipment_id=n, proofs={JOB: proof}) for n, proof in cases.items()]
    parcels.append(parcel([delivered(at(10))], shipment_id=5))  # no proof row at all
    assert day_figures(parcels, D, TZ)[(Metric.PROOF_COMPLETE, None)] == (2, 5)


def test_consent_completeness_counts_locker_and_station_deliveries_only() -> None:
    spot = {"name": "王五", "relation": "family", "call_record": "call-1"}
    parcels = [
        # A locker delivery naming the customer's "hold in a locker" answer: complete.
        parcel(
            [delivered(at(10), method="locker", details={"consent_id": 7})],
            shipment_id=1,
            consents={7: "hold_locker"},
        ),
        # A station hand-over with a consent taken on the spot by phone: complete.
        parcel([delivered(at(10), method="station", details={"consent_on_the_spot": spot})], shipment_id=2),
        # A locker delivery whose on-the-spot consent has no call record: incomplete.
        parcel(
            [
                delivered(
                    at(10), method="locker", details={"consent_on_the_spot": {**spot, "call_record": " "}}
                )
            ],
            shipment_id=3,
        ),
        # A locker delivery naming a consent that was for something else (a new window): incomplete.
        parcel(
            [delivered(at(10), method="locker", details={"consent_id": 8})],
            shipment_id=4,
            consents={8: "window"},
        ),
        # A signature at the door needs no consent: not counted.
        parcel([delivered(at(10))], shipment_id=5),
    ]
    assert day_figures(parcels, D, TZ)[(Metric.CONSENT_COMPLETE, None)] == (2, 4)


def test_pickups_on_time_are_judged_against_the_pickup_window() -> None:
    window = Window(at(9), at(12))
    on_time = parcel([ev("pickup_scan", at(11), job_id=JOB)], kind="pickup", promised=window, shipment_id=1)
    late = parcel([ev("pickup_scan", at(13), job_id=JOB)], kind="pickup", promised=window, shipment_id=2)
    staff_pickup = parcel(
        [ev("pickup_scan", at(10), by=None)], kind="pickup", shipment_id=3
    )  # no job: not a pickup visit
    f = day_figures([on_time, late, staff_pickup], D, TZ)
    assert f[(Metric.PICKUP_ON_TIME, None)] == (1, 2) and f[(Metric.PICKUP_ON_TIME, ALICE)] == (1, 2)
    assert (Metric.ON_TIME, None) not in f  # pickups are not deliveries
