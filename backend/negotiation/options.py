"""Which options a customer is offered, by trigger and by the failed attempt's reason code.

The texts are stored with the negotiation exactly as shown (both languages), so the consent
record can say what the customer agreed to even if these wordings change later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.negotiation.option import OptionInput
from backend.negotiation.route_windows import Window, job_windows
from backend.negotiation.states import OptionKind
from backend.shipments.models import Job
from backend.shipments.states import ReasonCode
from parcelkit.rules import handling

# What fits each reason (issue 14): another time, the station, a locker or a neighbour for whoever
# was simply not there; the address for a wrong one; the sender for a refusal. Reasons not listed
# get windows and the station.
WINDOWS, STATION, LOCKER, REDIRECT, RETURN = "windows", "station", "locker", "redirect", "return"
NEIGHBOUR, SAFE_PLACE = "neighbour", "safe_place"
BY_REASON: dict[str, tuple[str, ...]] = {
    ReasonCode.NOT_HOME: (WINDOWS, STATION, LOCKER, NEIGHBOUR, SAFE_PLACE),
    ReasonCode.WRONG_ADDRESS: (REDIRECT, STATION),
    ReasonCode.ADDRESS_INCOMPLETE: (REDIRECT, STATION),
    ReasonCode.REFUSED: (RETURN,),
    ReasonCode.COD_NOT_READY: (WINDOWS,),
    ReasonCode.CUSTOMER_RESCHEDULED: (WINDOWS,),
    ReasonCode.NO_ANSWER: (WINDOWS, STATION, LOCKER),
    ReasonCode.NO_SUCH_PERSON: (REDIRECT, STATION),
    ReasonCode.SELF_COLLECT: (STATION, LOCKER),
    ReasonCode.FREIGHT_REFUSED: (RETURN, WINDOWS),
}
DEFAULT_KINDS = (WINDOWS, STATION)
# A parcel that must be handed over in person with an ID checked (``id_check``, ``high_value``:
# parcelkit/rules/handling.py) is never offered what leaves it with no one checked: the courier
# could not deliver it so. Whoever was offered only those gets windows instead.
NOT_IN_PERSON = frozenset({STATION, LOCKER, NEIGHBOUR, SAFE_PLACE})


def in_person_only(job: Job) -> bool:
    return handling.needs_id(job.shipment.handling)


def _window_text(w: Window, today: datetime) -> dict[str, str]:
    tomorrow = w.start.date() == (today + timedelta(days=1)).date()
    hours = f"{w.start:%H:%M}–{w.end:%H:%M}"
    return {
        "zh": f"{'明天' if tomorrow else '今天'} {hours}",
        "en": f"{'Tomorrow' if tomorrow else 'Today'} {hours}",
    }


def window_options(job: Job, now: datetime) -> list[OptionInput]:
    """Up to three windows today and three tomorrow that the courier's route can keep."""
    tz = ZoneInfo(job.station.time_zone)
    local = now.astimezone(tz)
    found = job_windows(job, local.date(), now) + job_windows(job, local.date() + timedelta(days=1), now)
    return [
        OptionInput(
            key=f"w{i}",
            kind=OptionKind.WINDOW,
            text=_window_text(Window(w.start.astimezone(tz), w.end.astimezone(tz), w.position), local),
            window_start=w.start,
            window_end=w.end,
        )
        for i, w in enumerate(found, 1)
    ]


# Options that are just a choice (what the customer types, if anything, comes with the answer).
SIMPLE: dict[str, tuple[str, str, dict[str, str]]] = {
    LOCKER: ("locker", OptionKind.HOLD_LOCKER, {"zh": "放入快递柜", "en": "Put it in a parcel locker"}),
    REDIRECT: ("redirect", OptionKind.REDIRECT, {"zh": "改到另一个地址", "en": "Deliver to another address"}),
    NEIGHBOUR: ("neighbour", OptionKind.NEIGHBOUR, {"zh": "交给邻居代收", "en": "Leave it with a neighbour"}),
    SAFE_PLACE: (
        "safe_place",
        OptionKind.SAFE_PLACE,
        {"zh": "放在指定的安全地点", "en": "Leave it in a safe place"},
    ),
    RETURN: (
        "return",
        OptionKind.RETURN,
        {"zh": "退回寄件人（由站点确认）", "en": "Return it to the sender (the station confirms)"},
    ),
}


def station_option() -> OptionInput:
    """Collect at the station. The pickup code is made when the customer chooses this
    (``PickupHold``), not here: the options travel in the feeds."""
    return OptionInput(
        key="station",
        kind=OptionKind.HOLD_STATION,
        text={"zh": "到站点自取（凭取件码）", "en": "Collect it at the station (with a pickup code)"},
    )


def options_for(job: Job, reason_code: str, now: datetime) -> tuple[list[OptionInput], str]:
    """The options after a failed attempt with ``reason_code``, and the default (never a consent)."""
    kinds = BY_REASON.get(reason_code, DEFAULT_KINDS)
    if in_person_only(job):
        kinds = tuple(k for k in kinds if k not in NOT_IN_PERSON) or (WINDOWS,)
    options: list[OptionInput] = []
    for kind in kinds:
        if kind == WINDOWS:
            options += window_options(job, now)
        elif kind == STATION:
            options.append(station_option())
        elif kind in SIMPLE:
            key, option_kind, text = SIMPLE[kind]
            options.append(OptionInput(key=key, kind=option_kind, text=text))
    # Silence is not consent: with no answer the courier simply tries again.
    options.append(
        OptionInput(
            key="keep",
            kind=OptionKind.KEEP,
            text={"zh": "下次派送时再送", "en": "Try again on the next round"},
        )
    )
    return options, "keep"
