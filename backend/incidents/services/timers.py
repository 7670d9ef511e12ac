"""The playbooks' engine: escalate every unresolved incident whose next clock has run out.

Safe to run every few minutes and twice at once: each step of each incident is recorded once
(the incident row is locked while its steps are decided), and a run that comes late records every
step that came due meanwhile, in the order they came due.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.incidents.clocks import steps_due
from backend.incidents.models import Incident, IncidentEvent
from backend.incidents.services.common import feed_incident, record
from backend.incidents.states import Escalation, EventKind, IncidentState

BATCH = 500


def _escalate(incident_id: int, now: datetime) -> list[str]:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident_id)
        if incident.state == IncidentState.RESOLVED:
            return []
        done = set(
            IncidentEvent.objects.filter(incident=incident, kind=EventKind.ESCALATED).values_list(
                "details__step", flat=True
            )
        )
        new = [(due, step) for due, step in steps_due(incident, now) if step not in done]
        for due, step in new:
            record(incident, EventKind.ESCALATED, now, None, step=step, due=due.isoformat())
        if not new:
            return []
        incident.escalation = new[-1][1]
        incident.escalated_at = now
        incident.save(update_fields=["escalation", "escalated_at"])
        feed_incident(incident)
        return [step for _, step in new]


def incident_timers_tick(*, now: datetime | None = None) -> int:
    """Escalate what is due at ``now``; returns how many steps were recorded."""
    now = now or timezone.now()
    due = Q(decide_due__lte=now) | Q(alarm_at__lte=now) | Q(manager_due__lte=now)
    due |= Q(ack_due__lte=now, acknowledged_at__isnull=True)
    ids = list(
        Incident.objects.exclude(state=IncidentState.RESOLVED)
        .filter(due)
        .exclude(escalation=Escalation.LEGAL_OVERDUE)
        .order_by("raised_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(len(_escalate(pk, now)) for pk in ids)
