"""What the feeds carry about a negotiation (the handheld's banner, the console's list)."""

from __future__ import annotations

from typing import Any

from backend.negotiation.models import Negotiation


def negotiation_snapshot(n: Negotiation) -> dict[str, Any]:
    return {
        "id": n.pk,
        "job_id": n.job_id,
        "shipment_id": n.shipment_id,
        "state": n.state,
        "trigger": n.trigger,
        "reason_code": n.reason_code,
        "options": n.options,
        "deadline": n.deadline.isoformat(),
        "default_key": n.default_key,
        "chosen_key": n.chosen_key,
    }


# What a courier's handheld is told of an option: what the customer was shown, never the extras
# (a station pickup code is the customer's secret; a locker's code too).
_COURIER_OPTION_FIELDS = ("key", "kind", "text", "window_start", "window_end")


def negotiation_courier_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The handheld's view of a negotiation snapshot (the sync pull and the courier feed send it).

    The state, the options as shown, the chosen one and its window (the window the job now has
    when a time was chosen), the deadline and the default; not the station's pickup code or any
    other option extra. Pure: built from the feed row's snapshot, so no query.
    """
    options = [{f: o.get(f) for f in _COURIER_OPTION_FIELDS} for o in snapshot.get("options") or []]
    chosen_key = snapshot.get("chosen_key") or ""
    chosen = next((o for o in options if chosen_key and o["key"] == chosen_key), None)
    return {
        "id": snapshot["id"],
        "job_id": snapshot["job_id"],
        "shipment_id": snapshot["shipment_id"],
        "state": snapshot["state"],
        "trigger": snapshot["trigger"],
        "reason_code": snapshot.get("reason_code") or "",
        "options": options,
        "deadline": snapshot["deadline"],
        "default_key": snapshot["default_key"],
        "chosen_key": chosen_key,
        "window_start": chosen["window_start"] if chosen else None,
        "window_end": chosen["window_end"] if chosen else None,
    }
