"""The incidents' vocabularies (no models here, so pure code and the queue can import them)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentType(models.TextChoices):
    LOSS = "loss", "丢失 Loss"
    DAMAGE = "damage", "破损 Damage"
    DELAY = "delay", "延误 Delay"
    MISDELIVERY = "misdelivery", "错投 Misdelivery"
    DATA_LEAK = "data_leak", "信息泄露 Data leak"
    VEHICLE_ACCIDENT = "vehicle_accident", "车辆事故 Vehicle accident"
    WEATHER_ROAD = "weather_road", "天气/道路 Weather or road"


# What a customer may complain about from the customer page (the others are the station's own).
CUSTOMER_TYPES = (
    IncidentType.LOSS,
    IncidentType.DAMAGE,
    IncidentType.DELAY,
    IncidentType.MISDELIVERY,
    IncidentType.DATA_LEAK,
)


class Source(models.TextChoices):
    COURIER = "courier", _("Courier")
    SUPERVISOR = "supervisor", _("Supervisor")
    CUSTOMER = "customer", _("Customer complaint")
    AUTO = "auto", _("Detected automatically")


class IncidentState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Resolution(models.TextChoices):
    FOUND = "found", "Found"
    COMPENSATED = "compensated", "Compensated"
    RETURNED = "returned", "Returned to sender"
    CLOSED = "closed", "Closed"


class LiableParty(models.TextChoices):
    STATION = "station", "The station"
    COURIER = "courier", "The courier"
    CARRIER = "carrier", "The line-haul carrier"
    SENDER = "sender", "The sender"
    THIRD_PARTY = "third_party", "A third party"
    FORCE_MAJEURE = "force_majeure", "Force majeure"


class Evidence(models.TextChoices):
    PHOTO = "photo", "Photo"
    DESCRIPTION = "description", "Description"


class Escalation(models.TextChoices):
    """How far an incident has gone up (the timers' steps), in order."""

    NONE = "", _("Not escalated")
    ACK_OVERDUE = "ack_overdue", _("Not acknowledged in time")
    DECIDE_OVERDUE = "decide_overdue", _("Not decided in time")
    STATION_MANAGER = "station_manager", _("Sent to the station manager")
    LEGAL_ALARM = "legal_alarm", _("Legal deadline near (day 5 of 7)")
    LEGAL_OVERDUE = "legal_overdue", _("Legal deadline passed")


class EventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    NOTIFIED = "notified", "Customer notified"


class DisruptionLevel(models.IntegerChoices):
    """The four levels of the national emergency plan for postal services (I is the gravest).

    Every level holds the deliveries of the area; levels I and II hold its pickups too.
    """

    I = 1, "I 特别重大 Extraordinary"  # noqa: E741 - the plan's own numbering
    II = 2, "II 重大 Major"
    III = 3, "III 较大 Serious"
    IV = 4, "IV 一般 General"


HOLDS_PICKUPS = (DisruptionLevel.I, DisruptionLevel.II)


class DisruptionKind(models.TextChoices):
    ROAD_CLOSURE = "road_closure", "道路封闭 Road closure"
    TYPHOON = "typhoon", "台风 Typhoon"
    FLOOD = "flood", "洪水 Flood"
    SNOW = "snow", "雨雪冰冻 Snow and ice"
    OTHER = "other", "其他 Other"
