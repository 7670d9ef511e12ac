"""Scan modes and the verdict on each scan, with the feedback the courier gets. Pure.

A scan is judged at once, before anything is stored: a bad check digit, a parcel that is not on
this courier's list for the mode, one already scanned in this session, or one that belongs to
another station is flagged (colour, sound, vibration) and never silently accepted. Only an ``ok``
scan goes on to the outbox (station/loading scans) or opens the job (pickup/delivery).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mobile.i18n import N_
from parcelkit.rules.tracking import is_valid_tracking_no, normalise


class ScanMode(StrEnum):
    PICKUP = "pickup"
    STATION_IN = "station_in"
    LOADED_OUT = "loaded_out"
    DELIVERY = "delivery"


class Verdict(StrEnum):
    OK = "ok"
    BAD_CHECK_DIGIT = "bad_check_digit"
    NOT_ON_LIST = "not_on_list"
    ALREADY_SCANNED = "already_scanned"
    OTHER_STATION = "other_station"
    WRONG_PARCEL = "wrong_parcel"  # at the door: another parcel than the one being delivered


@dataclass(frozen=True)
class Feedback:
    colour: str  # a theme colour name the screens map to RGBA
    sound: str  # "ok" (short beep) or "error" (long low buzz)
    vibrate_ms: int


FEEDBACK: dict[Verdict, Feedback] = {
    Verdict.OK: Feedback("ok", "ok", 0),
    Verdict.BAD_CHECK_DIGIT: Feedback("error", "error", 400),
    Verdict.NOT_ON_LIST: Feedback("warning", "error", 400),
    Verdict.ALREADY_SCANNED: Feedback("info", "error", 150),
    Verdict.OTHER_STATION: Feedback("error", "error", 600),
    Verdict.WRONG_PARCEL: Feedback("error", "error", 600),
}

MESSAGES: dict[Verdict, str] = {
    Verdict.OK: N_("OK"),
    Verdict.BAD_CHECK_DIGIT: N_("Bad check digit: scan again"),
    Verdict.NOT_ON_LIST: N_("Not on your list"),
    Verdict.ALREADY_SCANNED: N_("Already scanned"),
    Verdict.OTHER_STATION: N_("Belongs to another station"),
    Verdict.WRONG_PARCEL: N_("Wrong parcel: not the one you are delivering"),
}

MODE_LABELS: dict[ScanMode, str] = {
    ScanMode.PICKUP: N_("Pickup"),
    ScanMode.STATION_IN: N_("Station inbound"),
    ScanMode.LOADED_OUT: N_("Loaded out"),
    ScanMode.DELIVERY: N_("Delivery"),
}

_OPEN = frozenset({"assigned", "accepted", "started", "arrived", "pending"})


@dataclass(frozen=True)
class Expected:
    job_id: int
    station_id: int | None


@dataclass(frozen=True)
class ScanResult:
    code: str
    verdict: Verdict
    feedback: Feedback
    message: str  # an msgid: the screen translates it
    job_id: int | None = None


def expected_for(mode: ScanMode, jobs: Iterable[dict[str, Any]]) -> dict[str, Expected]:
    """Which parcels of the day a scan in ``mode`` expects, by tracking number.

    pickup: open pickup jobs; station inbound: parcels the courier brings back (picked up today, or a
    delivery that failed); loaded out and delivery: open delivery jobs.
    """
    out: dict[str, Expected] = {}
    for job in jobs:
        shipment = job["shipment"]
        number, status, kind = shipment.get("tracking_no") or "", job["status"], job["kind"]
        if mode is ScanMode.PICKUP:
            wanted = kind == "pickup" and status in _OPEN
        elif mode is ScanMode.STATION_IN:
            wanted = (kind == "pickup" and status == "completed") or (
                kind == "delivery" and status == "failed"
            )
        else:
            wanted = kind == "delivery" and status in _OPEN
        if wanted and number:
            out[number] = Expected(int(job["id"]), shipment.get("station_id"))
    return out


@dataclass
class ScanSession:
    mode: ScanMode
    expected: dict[str, Expected]
    my_station_id: int | None
    # Where a parcel off my list belongs, when the handheld knows (day data of the station); None: unknown.
    station_of: Callable[[str], int | None] = lambda _number: None
    accepted: list[str] = field(default_factory=list)
    flagged: list[ScanResult] = field(default_factory=list)

    def judge(self, raw: str) -> ScanResult:
        number = normalise(raw)
        if not is_valid_tracking_no(number):
            return self._flag(number, Verdict.BAD_CHECK_DIGIT)
        if number in self.accepted:
            return self._flag(number, Verdict.ALREADY_SCANNED, self._job_of(number))
        hit = self.expected.get(number)
        station = hit.station_id if hit is not None else self.station_of(number)
        if station is not None and self.my_station_id is not None and station != self.my_station_id:
            return self._flag(number, Verdict.OTHER_STATION, self._job_of(number))
        if hit is None:
            return self._flag(number, Verdict.NOT_ON_LIST)
        self.accepted.append(number)
        return ScanResult(number, Verdict.OK, FEEDBACK[Verdict.OK], MESSAGES[Verdict.OK], hit.job_id)

    def wrong_parcel(self, result: ScanResult) -> ScanResult:
        """An accepted scan that is not the parcel at the door: refused, and not counted as scanned
        (the courier may deliver it next, from Today)."""
        self.undo(result.code)
        return self._flag(result.code, Verdict.WRONG_PARCEL, result.job_id)

    def undo(self, number: str) -> None:
        """The op for an accepted scan could not be stored: the parcel counts as not scanned."""
        if number in self.accepted:
            self.accepted.remove(number)

    @property
    def remaining(self) -> int:
        return len(set(self.expected) - set(self.accepted))

    def _job_of(self, number: str) -> int | None:
        hit = self.expected.get(number)
        return None if hit is None else hit.job_id

    def _flag(self, number: str, verdict: Verdict, job_id: int | None = None) -> ScanResult:
        result = ScanResult(number, verdict, FEEDBACK[verdict], MESSAGES[verdict], job_id)
        self.flagged.append(result)
        return result
