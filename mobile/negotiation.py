"""The job's question to the customer as the courier sees it, and the times a courier may propose. Pure.

``banner(job, tz, now)`` turns the job's negotiation (mobile/offline/proposals.py keeps it) into
one line for the Deliver screen and the Today row: "Customer chose 14:00–15:00", "Waiting for the
customer's answer", "Expired: no answer"… ``proposal_slots`` lists the times offered on the
"Propose a time" screen: starts every 30 minutes from now, in the station's zone, within the
courier's shift (tomorrow's shift once today's is over), so the courier taps instead of typing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mobile.i18n import N_, _, current_language

STEP = timedelta(minutes=30)
LENGTH = timedelta(minutes=30)  # a proposed window: "14:30–15:00"
LEAD = timedelta(minutes=15)  # the first start offered is at least this far ahead
MAX_SLOTS = 12

_CHOSEN_KIND = {
    "keep": N_("Customer keeps the planned time"),
    "hold_station": N_("Customer will collect it at the station"),
    "hold_locker": N_("Customer chose a parcel locker"),
    "redirect": N_("Customer gave another address"),
    "return": N_("Customer asked to return it"),
}
WAITING = N_("Waiting for the customer's answer")
PROPOSED = N_("Proposed {window}: waiting for the customer")
CHOSE = N_("Customer chose {window}")
EXPIRED = N_("Expired: no answer")
WITHDRAWN = N_("Withdrawn")
REFUSED = N_("Proposal refused: {reason}")


@dataclass(frozen=True)
class Banner:
    kind: str  # proposed | waiting | answered | expired | withdrawn | refused
    message: str  # a msgid; ``text()`` translates it
    colour: str  # a theme colour name
    args: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return _(self.message).format(**self.args)


def _at(value: Any, tz: ZoneInfo) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(tz) if isinstance(value, str) and value else None


def window_text(start: Any, end: Any, tz: ZoneInfo, today: date) -> str:
    """The window in station time: 14:00–15:00, Tomorrow 14:00–15:00 or 11-26 14:00–15:00."""
    s, e = _at(start, tz), _at(end, tz)
    if s is None or e is None:
        return ""
    hours = f"{s:%H:%M}–{e:%H:%M}"
    if s.date() == today:
        return hours
    if s.date() == today + timedelta(days=1):
        return f"{_('Tomorrow')} {hours}"
    return f"{s:%m-%d} {hours}"


def _option_text(option: dict[str, Any]) -> str:
    text = option.get("text") or {}
    return str(text.get("zh" if current_language().startswith("zh") else "en") or text.get("en") or "")


def banner(job: dict[str, Any], tz: ZoneInfo, now: datetime) -> Banner | None:
    """The job's banner, or None when there is no question to show (none, or superseded)."""
    n = job.get("negotiation")
    if not n:
        return None
    today = now.astimezone(tz).date()
    state = n.get("state")
    if state == "proposing":
        return Banner("proposed", PROPOSED, "warning", {"window": window_text(*_window(n), tz, today)})
    if state == "refused":
        return Banner("refused", REFUSED, "failed", {"reason": str(n.get("message") or n.get("code") or "")})
    if state == "offered":
        deadline = _at(n.get("deadline"), tz)
        if deadline is not None and now >= deadline:
            return Banner("expired", EXPIRED, "muted")  # the server applies the default shortly
        proposed = _proposed(n)
        if proposed is not None:
            window = window_text(proposed.get("window_start"), proposed.get("window_end"), tz, today)
            return Banner("proposed", PROPOSED, "warning", {"window": window})
        return Banner("waiting", WAITING, "warning")
    if state == "answered":
        options: list[dict[str, Any]] = n.get("options") or []
        chosen: dict[str, Any] = next((o for o in options if o.get("key") == n.get("chosen_key")), {})
        if chosen.get("kind") == "window":
            window = window_text(chosen.get("window_start"), chosen.get("window_end"), tz, today)
            return Banner("answered", CHOSE, "done", {"window": window})
        message = _CHOSEN_KIND.get(str(chosen.get("kind")))
        if message is None:
            return Banner("answered", CHOSE, "done", {"window": _option_text(chosen)})
        return Banner("answered", message, "done")
    if state == "expired":
        return Banner("expired", EXPIRED, "muted")
    if state == "cancelled":
        return Banner("withdrawn", WITHDRAWN, "muted")
    return None


def _window(n: dict[str, Any]) -> tuple[Any, Any]:
    return n.get("window_start"), n.get("window_end")


def _proposed(n: dict[str, Any]) -> dict[str, Any] | None:
    """A courier's or supervisor's proposal: its one window option."""
    if n.get("trigger") not in ("courier", "supervisor"):
        return None
    return next((o for o in n.get("options") or [] if o.get("kind") == "window"), None)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    label: str  # "14:30" (station time)
    tomorrow: bool


def _clock(value: str) -> time:
    hour, minute = value.split(":")[:2]
    return time(int(hour), int(minute))


def proposal_slots(
    now: datetime, tz: ZoneInfo, shift_start: str = "08:00", shift_end: str = "20:00", count: int = MAX_SLOTS
) -> list[Slot]:
    """Window starts every 30 minutes from ``now`` + 15 min (on the half hour), inside the shift.

    When today's shift has no room left, tomorrow's shift is offered from its start.
    """
    local = now.astimezone(tz)
    begin, end = _clock(shift_start), _clock(shift_end)
    earliest = local + LEAD
    # Round up to the next half hour (a whole minute count keeps the arithmetic exact).
    minutes = earliest.hour * 60 + earliest.minute + (1 if earliest.second or earliest.microsecond else 0)
    rounded = -(-minutes // 30) * 30
    first = datetime.combine(earliest.date(), time(0), tzinfo=tz) + timedelta(minutes=rounded)
    slots = _day_slots(local.date(), begin, end, tz, first, count, tomorrow=False)
    if not slots:
        day = local.date() + timedelta(days=1)
        slots = _day_slots(day, begin, end, tz, datetime.combine(day, begin, tzinfo=tz), count, tomorrow=True)
    return slots


def _day_slots(
    day: date, begin: time, end: time, tz: ZoneInfo, first: datetime, count: int, *, tomorrow: bool
) -> list[Slot]:
    start = max(first, datetime.combine(day, begin, tzinfo=tz))
    shift_end = datetime.combine(day, end, tzinfo=tz)
    slots: list[Slot] = []
    while start + LENGTH <= shift_end and len(slots) < count:
        slots.append(Slot(start, start + LENGTH, f"{start:%H:%M}", tomorrow))
        start += STEP  # aware arithmetic in one zone is wall-clock: starts stay on the half hour
    return slots
