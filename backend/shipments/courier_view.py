"""What a courier is shown of a job: the side of the shipment the job needs, and no one's trail.

A delivery needs the recipient (name, address, the phone's last four) and nothing of the sender; a
pickup needs the sender (the phone as the label prints it), and of the recipient only what the
waybill it prints shows (masked, as on the label). Calls go through a virtual number (backend/calls/). The
same rule serves the REST job outputs, the sync pull and the courier's live feed, so a handheld
never holds more than the job needs, whichever way the data came. Withheld fields stay in the
shape with an empty value: clients and the OpenAPI schema keep one shape per audience-free type.

Supervisors and admins keep the full snapshot (the station feed, station job lists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from parcelkit.rules.privacy import Surface, mask_address, mask_name, phone_for

SENDER_FIELDS = ("sender_name", "sender_phone", "sender_address")
RECIPIENT_FIELDS = ("recipient_name", "recipient_phone", "recipient_address")
# An event's who and where: a courier sees them only on events they recorded themselves.
EVENT_TRAIL_FIELDS = ("actor_id", "device_id", "lat", "lng", "accuracy_m")


def courier_shipment(shipment: dict[str, Any], kinds: Iterable[str]) -> dict[str, Any]:
    """A shipment snapshot as a courier holding jobs of these kinds on it may see it.

    No customer's phone in full: the courier calls through a virtual number bound to the job
    (``POST /api/v1/jobs/{id}/call``). A delivery's recipient shows its prefix and last four (the
    尾号 checked at the door); a pickup's sender as the waybill the courier prints shows it.
    """
    kinds = set(kinds)
    out = dict(shipment)
    if "pickup" not in kinds:
        for field in SENDER_FIELDS:
            if field in out:
                out[field] = ""
    elif "sender_phone" in out:
        out["sender_phone"] = phone_for(Surface.LABEL, str(out["sender_phone"] or ""))
    if "delivery" not in kinds:
        # The pickup prints the waybill: the recipient exactly as the label shows it (the label's
        # masking leaves already masked text as it is).
        masks: dict[str, Callable[[str], str]] = {
            "recipient_name": mask_name,
            "recipient_phone": partial(phone_for, Surface.LABEL),
            "recipient_address": mask_address,
        }
        for field, mask in masks.items():
            if field in out:
                out[field] = mask(str(out[field] or ""))
    elif "recipient_phone" in out:
        out["recipient_phone"] = phone_for(Surface.COURIER, str(out["recipient_phone"] or ""))
    return out


def courier_job(job: dict[str, Any]) -> dict[str, Any]:
    """A job snapshot (shipments.snapshots.job_snapshot) as its courier sees it."""
    return {**job, "shipment": courier_shipment(job["shipment"], [job["kind"]])}


def courier_event(event: dict[str, Any], *, user_id: int) -> dict[str, Any]:
    """A tracking event as a courier sees it: who, which device, where and the details only when
    it was theirs (a proof's recipient name, another courier's position are none of their job)."""
    if event.get("actor_id") == user_id:
        return event
    out = dict(event)
    for field in EVENT_TRAIL_FIELDS:
        out[field] = "" if field == "device_id" else None
    out["details"] = {}
    return out
