"""The single write path for shipments and jobs.

Every function here: locks the rows (job before shipment), checks the transition table, writes
the change, appends one TrackingEvent and one change-feed row, and publishes after commit.
Views, sync, consumers, tasks, commands and the admin call these; nothing else writes.
"""

from backend.shipments.services.completion import job_complete_pickup, job_deliver, job_fail
from backend.shipments.services.intake import ShipmentInput, shipment_create, shipments_create_bulk
from backend.shipments.services.jobs import (
    job_accept,
    job_arrive,
    job_assign,
    job_cancel,
    job_start,
    job_unassign,
    jobs_assign,
)
from backend.shipments.services.shipments import scan, shipment_transition

__all__ = [
    "ShipmentInput",
    "job_accept",
    "job_arrive",
    "job_assign",
    "job_cancel",
    "job_complete_pickup",
    "job_deliver",
    "job_fail",
    "job_start",
    "job_unassign",
    "jobs_assign",
    "scan",
    "shipment_create",
    "shipment_transition",
    "shipments_create_bulk",
]
