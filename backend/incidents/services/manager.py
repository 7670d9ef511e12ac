"""Telling the station's managers (站长) that an incident was escalated to them.

Called by the playbooks' engine inside its transaction, before the feed row: each manager of the
station gets one text through the notification gateway (once per incident, however often the
engine runs), and the incident is marked so the console's incidents page shows and filters it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from backend.common.errors import DomainError
from backend.incidents.models import Incident, Playbook
from backend.notify.services import staff_message_queue
from backend.stations.selectors import station_manager_user_ids

log = logging.getLogger("parcelrun.incidents")

TRIGGER = "escalation"
TEMPLATE = "manager_escalation"


def console_link(station_code: str) -> str:
    """The station's incidents page, filtered to what was escalated to its managers."""
    path = reverse("console:incidents", kwargs={"code": station_code})
    return f"{settings.PUBLIC_BASE_URL}{path}?escalated=manager"


def tell_station_managers(incident: Incident, now: datetime) -> list[int]:
    """Queue the escalation text to every manager of the incident's station; returns whom (user ids).

    A station with no manager on record tells nobody by text (logged, and recorded on the event as an
    empty list): the console's marker still shows the escalation to the station's supervisors.
    """
    station = incident.station
    hours = (
        Playbook.objects.filter(incident_type=incident.incident_type)
        .values_list("manager_after_hours", flat=True)
        .first()
    )
    params = {
        "station": station.code,
        "incident": str(incident.pk),
        "type": incident.get_incident_type_display(),
        "hours": str(hours or ""),
        "link": console_link(station.code),
    }
    told = []
    for user_id in station_manager_user_ids(station.pk):
        try:
            staff_message_queue(
                user_id=user_id,
                trigger=TRIGGER,
                occasion=f"incident{incident.pk}",
                template=TEMPLATE,
                language=settings.NOTIFY_LANGUAGE,
                params=params,
                now=now,
            )
        except DomainError:  # their record lost its number meanwhile: the others are still told
            log.warning("station manager %s of %s has no phone: not texted", user_id, station.code)
            continue
        told.append(user_id)
    if not told:
        log.warning(
            "incident %s escalated to the manager of %s, who has none on record", incident.pk, station.code
        )
    return told
