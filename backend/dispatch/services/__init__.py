"""Dispatch's write path: assignment, planning, re-planning and reassignment.

Jobs are only ever written through ``backend.shipments.services`` (``job_assign``,
``job_unassign``, ``job_set_plan``); these modules decide what to write and keep the audit trail.
A person moving a job (REST, socket command, bulk) always goes through ``job_reassign``.
"""

from backend.dispatch.services.assignment import auto_assign
from backend.dispatch.services.debounce import replan_soon, replan_tick
from backend.dispatch.services.planning import courier_refresh_etas, courier_replan
from backend.dispatch.services.reassignment import (
    DEFAULT_REASON,
    JobVersion,
    Reassigned,
    job_reassign,
    reassign_jobs,
)
from backend.dispatch.services.station import station_plan
from backend.dispatch.services.unassignment import unassign_jobs
from backend.dispatch.services.unavailable import courier_unavailable_apply, courier_unavailable_preview
from backend.dispatch.services.watch import watch_couriers

__all__ = [
    "DEFAULT_REASON",
    "JobVersion",
    "Reassigned",
    "auto_assign",
    "courier_refresh_etas",
    "courier_replan",
    "courier_unavailable_apply",
    "courier_unavailable_preview",
    "job_reassign",
    "reassign_jobs",
    "replan_soon",
    "replan_tick",
    "station_plan",
    "unassign_jobs",
    "watch_couriers",
]
