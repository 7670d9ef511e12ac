"""The incidents' write path: raising, acknowledging and deciding incidents, their timers, the
detectors that raise them, and disruptions that hold and release jobs."""

from backend.incidents.services.detection import detect_delays, detect_loss_suspects
from backend.incidents.services.disruptions import disruption_declare, disruption_lift
from backend.incidents.services.incidents import (
    customer_complaint,
    incident_acknowledge,
    incident_raise,
    incident_resolve,
)
from backend.incidents.services.timers import incident_timers_tick

__all__ = [
    "customer_complaint",
    "detect_delays",
    "detect_loss_suspects",
    "disruption_declare",
    "disruption_lift",
    "incident_acknowledge",
    "incident_raise",
    "incident_resolve",
    "incident_timers_tick",
]
