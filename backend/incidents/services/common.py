"""What the incidents' services share: the event row, the station's feed row, the customer's notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.incidents.models import Incident, IncidentEvent
from backend.incidents.states import EventKind
from backend.negotiation.links import link_issue
from backend.negotiation.models import Negotiation
from backend.notify.services import message_queue
from backend.shipments import feed
from backend.shipments.models import Job
from backend.shipments.states import JobKind
from parcelkit.rules.privacy import mask_name


def record(incident: Incident, kind: str, at: datetime, actor_id: int | None, **details: Any) -> None:
    IncidentEvent.objects.create(incident=incident, kind=kind, at=at, actor_id=actor_id, details=details)


def escalated_steps(incident_id: int) -> set[str]:
    """The escalation steps already recorded for an incident."""
    return set(
        IncidentEvent.objects.filter(incident_id=incident_id, kind=EventKind.ESCALATED).values_list(
            "details__step", flat=True
        )
    )


def snapshot(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "type": incident.incident_type,
        "source": incident.source,
        "state": incident.state,
        "escalation": incident.escalation,
        "shipment_id": incident.shipment_id,
        "ack_due": incident.ack_due.isoformat(),
        "legal_due": incident.legal_due.isoformat(),
    }


def feed_incident(incident: Incident) -> None:
    """The station's live row (the console's supervisors are told); the last write of the transaction."""
    feed.append(
        "incident.changed",
        {"incident": snapshot(incident)},
        station_id=incident.station_id,
        shipment_id=incident.shipment_id,
    )


def customer_job(shipment_id: int | None) -> Job | None:
    """The delivery job a customer's message hangs on (the notify app keys messages by job)."""
    if shipment_id is None:
        return None
    return Job.objects.filter(shipment_id=shipment_id, kind=JobKind.DELIVERY).order_by("-pk").first()


def complaint_link(shipment_id: int, now: datetime) -> str:
    """The customer's complaint form for the shipment (every message carries a link to the customer's
    pages, docs/negotiation.md); signed like the page's links, naming the latest negotiation if any."""
    negotiation_id = (
        Negotiation.objects.filter(shipment_id=shipment_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    token, _, _ = link_issue(negotiation_id=negotiation_id or 0, shipment_id=shipment_id, now=now)
    return f"{settings.PUBLIC_BASE_URL}/n/{token}/complaint"


def notify_customer(
    job: Job,
    *,
    trigger: str,
    occasion: str,
    template: str,
    tz: ZoneInfo,
    deadline: datetime | None,
    now: datetime,
) -> bool:
    """Queue one templated message to the job's recipient (once per trigger and occasion)."""
    params = {"name": mask_name(job.shipment.recipient_name), "link": complaint_link(job.shipment_id, now)}
    if deadline is not None:
        params["deadline"] = f"{deadline.astimezone(tz):%m-%d %H:%M}"
    _, created = message_queue(
        job_id=job.pk,
        trigger=trigger,
        occasion=occasion,
        template=template,
        language=settings.NOTIFY_LANGUAGE,
        params=params,
        now=now,
    )
    return created
