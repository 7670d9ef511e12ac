"""The Today screen's data: the route in planned order, one display row per job, the counts. Pure.

Rows are plain tuples of strings so a RecycleView of 500 jobs only copies them into recycled
widgets; nothing is computed while scrolling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mobile.i18n import N_
from mobile.negotiation import banner
from parcelkit.rules.handling import shown

OPEN = frozenset({"pending", "assigned", "accepted", "started", "arrived"})
# Theme colour names (screens map them to RGBA with sunlight contrast in mind).
STATUS_COLOURS = {
    "pending": "todo",
    "assigned": "todo",
    "accepted": "todo",
    "started": "active",
    "arrived": "active",
    "completed": "done",
    "failed": "failed",
    "cancelled": "muted",
}
STATUS_LABELS = {
    "pending": N_("To do"),
    "assigned": N_("To do"),
    "accepted": N_("To do"),
    "started": N_("On the way"),
    "arrived": N_("Arrived"),
    "completed": N_("Done"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
KIND_LABELS = {"delivery": N_("Delivery"), "pickup": N_("Pickup")}


@dataclass(frozen=True)
class Row:
    job_id: int
    seq: str
    kind: str
    status: str
    colour: str
    name: str
    address: str
    tracking_no: str
    eta: str
    window: str
    late: bool
    marker: str = ""  # the negotiation's banner, translated ("Customer chose 14:00–15:00")
    marker_colour: str = "muted"
    flags: tuple[str, ...] = ()  # handling flags in chip order (mobile/handling.py labels them)


@dataclass(frozen=True)
class Counts:
    to_deliver: int
    delivered: int
    failed: int
    pickups: int


def route_order(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Planned order; jobs not yet planned go last, by ETA then id. Done jobs keep their place."""
    big = 10**9
    return sorted(
        jobs,
        key=lambda j: (
            j.get("planned_seq") is None,
            big if j.get("planned_seq") is None else j["planned_seq"],  # the planner counts from 0
            j.get("eta") or "~",
            j["id"],
        ),
    )


def _hhmm(value: str | None, tz: ZoneInfo) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(tz).strftime("%H:%M")


def _name(job: dict[str, Any]) -> str:
    shipment = job["shipment"]
    if job["kind"] == "pickup":  # the sender hands the parcel over; older snapshots lack sender_name
        return str(shipment.get("sender_name") or shipment.get("recipient_name") or "")
    return str(shipment.get("recipient_name") or "")


def row_of(job: dict[str, Any], tz: ZoneInfo, now: datetime | None = None) -> Row:
    """``now`` (aware) adds the negotiation marker; without it the row has none."""
    shipment = job["shipment"]
    marker, marker_colour = _marker(job, tz, now)
    start, end = _hhmm(job.get("window_start"), tz), _hhmm(job.get("window_end"), tz)
    eta = _hhmm(job.get("eta"), tz)
    late = bool(
        job.get("eta")
        and job.get("window_end")
        and job["status"] in OPEN
        and datetime.fromisoformat(job["eta"]) > datetime.fromisoformat(job["window_end"])
    )
    return Row(
        job_id=int(job["id"]),
        seq="" if job.get("planned_seq") is None else str(job["planned_seq"]),
        kind=job["kind"],
        status=job["status"],
        colour="late" if late else STATUS_COLOURS.get(job["status"], "todo"),
        name=_name(job),
        address=str(job.get("address") or ""),
        tracking_no=str(shipment.get("tracking_no") or ""),
        eta=eta,
        window=f"{start}–{end}" if start or end else "",
        late=late,
        marker=marker,
        marker_colour=marker_colour,
        flags=tuple(shown(shipment.get("handling"))),
    )


def _marker(job: dict[str, Any], tz: ZoneInfo, now: datetime | None) -> tuple[str, str]:
    """The job's negotiation banner, translated; none once the job is done."""
    b = None if now is None or job["status"] in ("completed", "cancelled") else banner(job, tz, now)
    return ("", "muted") if b is None else (b.text(), b.colour)


def rows(jobs: list[dict[str, Any]], tz: ZoneInfo, now: datetime | None = None) -> list[Row]:
    return [row_of(j, tz, now) for j in route_order(jobs)]


def counts(jobs: list[dict[str, Any]]) -> Counts:
    deliveries = [j for j in jobs if j["kind"] == "delivery"]
    return Counts(
        to_deliver=sum(1 for j in deliveries if j["status"] in OPEN),
        delivered=sum(1 for j in deliveries if j["status"] == "completed"),
        failed=sum(1 for j in jobs if j["status"] == "failed"),
        pickups=sum(1 for j in jobs if j["kind"] == "pickup" and j["status"] in OPEN),
    )
