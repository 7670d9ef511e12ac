"""Reads: a station's incidents and disruptions, one incident's file. Fixed query counts."""

from __future__ import annotations

from django.db.models import QuerySet

from backend.common.errors import DomainError
from backend.incidents.models import Disruption, Incident, IncidentEvent
from backend.incidents.states import IncidentState


def incidents_for_station(
    *, station_id: int, open_only: bool = True, manager_only: bool = False
) -> QuerySet[Incident]:
    """The station's incidents by age; ``manager_only``: those escalated to the station manager."""
    qs = Incident.objects.filter(station_id=station_id).select_related("shipment")
    if open_only:
        qs = qs.exclude(state=IncidentState.RESOLVED)
    if manager_only:
        qs = qs.filter(manager_escalated_at__isnull=False)
    return qs.order_by("raised_at", "pk")


def incident_events(*, incident_id: int) -> QuerySet[IncidentEvent]:
    return IncidentEvent.objects.filter(incident_id=incident_id).order_by("at", "pk")


def incident_get(*, incident_id: int) -> Incident:
    incident = Incident.objects.select_related("shipment").filter(pk=incident_id).first()
    if incident is None:
        raise DomainError("not_found", f"incident {incident_id} not found")
    return incident


def disruptions_for_station(*, station_id: int, active_only: bool = True) -> QuerySet[Disruption]:
    qs = Disruption.objects.filter(station_id=station_id).select_related("zone")
    if active_only:
        qs = qs.filter(lifted_at=None)
    return qs.order_by("-declared_at", "-pk")
