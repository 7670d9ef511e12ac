"""The playbooks' engine: escalate every unresolved incident whose next clock has run out.

Safe to run every few minutes and twice at once: each step of each incident is recorded once
(the incident row is locked while its steps are decided), and a run that comes late records every
step that came due meanwhile, in the order they came due. The station-manager step also texts the
station's managers and marks the incident for the console (``services.manager``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.incidents.clocks import next_due, steps_due
from backend.incidents.models import Incident
from backend.incidents.services.common import escalated_steps, feed_incident, record
from backend.incidents.services.manager import tell_station_managers
from backend.incidents.states import Escalation, EventKind, IncidentState

BATCH = 500


def _escalate(incident_id: int, now: datetime) -> list[str]:
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",)).select_related("station").get(pk=incident_id)
        )
        if incident.state == IncidentState.RESOLVED:
            return []
        done = escalated_steps(incident.pk)
        new = [(due, step) for due, step in steps_due(incident, now) if step not in done]
        fields = ["next_due"]
        for due, step in new:
            told: dict[str, list[int]] = {}
            if step == Escalation.STATION_MANAGER:
                # The marker is its own field: later steps replace ``escalation``, not this.
                told = {"told": tell_station_managers(incident, now)}
                incident.manager_escalated_at = now
                fields.append("manager_escalated_at")
            record(incident, EventKind.ESCALATED, now, None, step=step, due=due.isoformat(), **told)
        incident.next_due = next_due(incident, done | {step for _, step in new})
        if not new:
            incident.save(update_fields=fields)
            return []
        incident.escalation = new[-1][1]
        incident.escalated_at = now
        incident.save(update_fields=["escalation", "escalated_at", *fields])
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
