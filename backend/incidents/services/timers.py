"""The playbooks' engine: escalate every unresolved incident whose next clock has run out.

Safe to run every few minutes and twice at once: each step of each incident is recorded once
(the incident row is locked while its steps are decided), and a run that comes late records every
step that came due meanwhile, in the order they came due.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.incidents.clocks import next_due, steps_due
from backend.incidents.models import Incident
from backend.incidents.services.common import escalated_steps, feed_incident, record
from backend.incidents.states import EventKind, IncidentState

BATCH = 500


def _escalate(incident_id: int, now: datetime) -> list[str]:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident_id)
        if incident.state == IncidentState.RESOLVED:
            return []
        done = escalated_steps(incident.pk)
        new = [(due, step) for due, step in steps_due(incident, now) if step not in done]
        for due, step in new:
            record(incident, EventKind.ESCALATED, now, None, step=step, due=due.isoformat())
        incident.next_due = next_due(incident, done | {step for _, step in new})
        if not new:
            incident.save(update_fields=["next_due"])
            return []
        incident.escalation = new[-1][1]
        incident.escalated_at = now
        incident.save(update_fields=["escalation", "escalated_at", "next_due"])
        feed_incident(incident)
        return [step for _, step in new]


def incident_timers_tick(*, now: datetime | None = None) -> int:
    """Escalate what is due at ``now``; returns how many steps were recorded."""
    now = now or timezone.now()
    ids = list(
        Incident.objects.filter(next_due__lte=now)
        .order_by("next_due", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(len(_escalate(pk, now)) for pk in ids)
