"""A COD parcel out for delivery with its courier, and the steps the COD tests share."""

from __future__ import annotations

from typing import Any

import pytest

from backend.couriers.models import Courier, Station
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.door_inputs import ProofInput
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person


def cod_job_started(
    station: Station, staff: Ctx, courier: Courier, courier_ctx: Ctx, cod_fen: int = 12_345
) -> Job:
    """A delivery of a parcel with ``cod_fen`` to collect, scanned in, assigned and started."""
    job = make_job(station, staff, cod_amount_fen=cod_fen)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=staff)
    svc.job_assign(job_id=job.pk, courier_id=courier.pk, ctx=staff)
    svc.job_accept(job_id=job.pk, ctx=courier_ctx)
    return svc.job_start(job_id=job.pk, ctx=courier_ctx)


def paid(amount_fen: int, method: str = "cash", ref: str = "", **more: Any) -> ProofInput:
    return ProofInput(
        method="photo",
        recipient_relation="self",
        media_sha256=["ab" * 32],
        cod_collected_fen=amount_fen,
        cod_method=method,
        cod_payment_ref=ref,
        **more,
    )


def deliver_cash(station: Station, staff: Ctx, courier: Courier, courier_ctx: Ctx, cod_fen: int) -> Job:
    job = cod_job_started(station, staff, courier, courier_ctx, cod_fen)
    return svc.job_deliver(job_id=job.pk, ctx=courier_ctx, proof=paid(cod_fen))


@pytest.fixture
def cod_job(station: Station, supervisor: Person, courier: tuple[Courier, Person]) -> Job:
    return cod_job_started(station, supervisor.ctx, courier[0], courier[1].ctx)
