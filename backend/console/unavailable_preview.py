"""The "courier unavailable" preview, shaped for the page: what goes where, the new ETAs, what cannot be served.

Reads two queries on top of the planner's own (the previewed jobs with their shipments, and the
couriers named), whatever the number of jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.couriers.models import Courier
from backend.dispatch.services.unavailable import Preview
from backend.shipments.models import Job


@dataclass(frozen=True)
class PreviewRow:
    job_id: int
    version: int
    tracking_no: str
    address: str
    window_start: datetime | None
    window_end: datetime | None
    eta_before: datetime | None
    eta_after: datetime | None  # on the receiving route as proposed; None when nobody takes it
    to_name: str = ""
    to_employee_no: str = ""
    note: str = ""  # the planner's why, e.g. "cheapest feasible insertion, +1.2 km / +4 min"

    @property
    def late(self) -> bool:
        """The proposed ETA misses the window's end."""
        return self.eta_after is not None and self.window_end is not None and self.eta_after > self.window_end


@dataclass(frozen=True)
class UnavailablePreview:
    courier: Courier
    token: str
    moved: list[PreviewRow]
    queued: list[PreviewRow]  # nobody can take them: back to the unassigned lane
    kept: list[PreviewRow]  # stay with the courier (arrived, or started and nobody can take them)

    @property
    def jobs(self) -> str:
        """The ``id:version`` pairs the page posts back: the jobs of the preview as shown."""
        return ",".join(f"{r.job_id}:{r.version}" for r in (*self.moved, *self.queued))


def unavailable_preview_rows(preview: Preview) -> UnavailablePreview:
    ids = [m.job_id for m in preview.moves] + list(preview.kept)
    jobs = {j.pk: j for j in Job.objects.filter(pk__in=ids).select_related("shipment")}
    wanted = {preview.courier_id, *(m.to_courier_id for m in preview.moves if m.to_courier_id)}
    couriers = {c.pk: c for c in Courier.objects.filter(pk__in=wanted)}

    def row(job_id: int, version: int, to: int | None, note: str) -> PreviewRow:
        job, courier = jobs[job_id], couriers.get(to) if to else None
        return PreviewRow(
            job_id=job_id,
            version=version,
            tracking_no=job.shipment.tracking_no,
            address=job.address,
            window_start=job.window_start,
            window_end=job.window_end,
            eta_before=job.eta,
            eta_after=preview.etas.get(job_id) if courier else None,
            to_name=courier.name if courier else "",
            to_employee_no=courier.employee_no if courier else "",
            note=note,
        )

    moves = [row(m.job_id, m.version, m.to_courier_id, m.reason) for m in preview.moves]
    return UnavailablePreview(
        courier=couriers[preview.courier_id],
        token=preview.token,
        moved=[r for r in moves if r.to_name],
        queued=[r for r in moves if not r.to_name],
        kept=[row(jid, jobs[jid].version, None, "") for jid in preview.kept],
    )
