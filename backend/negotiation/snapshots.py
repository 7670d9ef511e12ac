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
