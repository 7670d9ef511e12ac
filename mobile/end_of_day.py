"""The end of the courier's day, from what the handheld already has. Pure.

Jobs done, failed and still open; the cash on delivery collected (total and per parcel: the
delivered jobs that carry a COD amount); the parcels to bring back to the station (failed
deliveries, pickups made, deliveries still open, and parcels whose action the server refused);
and the work not uploaded yet. The station's own COD handover ledger is the server's; this
screen is what the courier counts before handing over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mobile.i18n import N_
from mobile.offline.unresolved import Problem
from mobile.today import OPEN

BRING_BACK_REASONS = {
    "failed": N_("Failed delivery"),
    "pickup": N_("Picked up"),
    "open": N_("Not delivered"),
    "refused": N_("Upload failed"),
}


@dataclass(frozen=True)
class Parcel:
    tracking_no: str
    name: str
    amount_fen: int = 0
    why: str = ""  # a BRING_BACK_REASONS key


@dataclass(frozen=True)
class Summary:
    done: int
    failed: int
    open: int
    cod_total_fen: int
    cod: list[Parcel] = field(default_factory=list)
    bring_back: list[Parcel] = field(default_factory=list)
    unsynced: int = 0  # ops waiting for upload
    unresolved: int = 0  # refusals not yet acknowledged or handed to the supervisor

    @property
    def clear(self) -> bool:
        """Nothing stops a plain log out: everything uploaded, every refusal dealt with."""
        return self.unsynced == 0 and self.unresolved == 0


def _parcel(job: dict[str, Any], why: str = "", amount_fen: int = 0) -> Parcel:
    s = job.get("shipment") or {}
    person = s.get("sender_name") if job.get("kind") == "pickup" else s.get("recipient_name")
    return Parcel(
        str(s.get("tracking_no") or ""), str(person or s.get("recipient_name") or ""), amount_fen, why
    )


def summary(jobs: list[dict[str, Any]], problems: list[Problem], unsynced: int) -> Summary:
    cod: list[Parcel] = []
    back: list[Parcel] = []
    for job in sorted(jobs, key=lambda j: int(j["id"])):
        status, kind = job["status"], job["kind"]
        amount = int((job.get("shipment") or {}).get("cod_amount_fen") or 0)
        if kind == "delivery" and status == "completed" and amount:
            cod.append(_parcel(job, amount_fen=amount))
        if kind == "delivery" and status == "failed":
            back.append(_parcel(job, "failed"))
        elif kind == "pickup" and status == "completed":
            back.append(_parcel(job, "pickup"))
        elif kind == "delivery" and status in OPEN:
            back.append(_parcel(job, "open"))
    listed = {p.tracking_no for p in back}
    for p in problems:
        if p.state == "rejected" and p.kind == "fail" and p.tracking_no not in listed:
            back.append(Parcel(p.tracking_no, p.name, 0, "refused"))
            listed.add(p.tracking_no)
    return Summary(
        done=sum(1 for j in jobs if j["status"] == "completed"),
        failed=sum(1 for j in jobs if j["status"] == "failed"),
        open=sum(1 for j in jobs if j["status"] in OPEN),
        cod_total_fen=sum(p.amount_fen for p in cod),
        cod=cod,
        bring_back=back,
        unsynced=unsynced,
        unresolved=sum(1 for p in problems if p.open),
    )


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"
