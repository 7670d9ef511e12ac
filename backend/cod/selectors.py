"""Reads of the shift's cash: what a courier holds, and the per-courier-per-day report.

Cash held = the courier's cash ``Collection`` rows (corrections included) that no handover has
taken in yet. Mobile payments are never held: they went to the company's account at the door.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce

from backend.cod.models import Declaration, Handover, HandoverItem, Variance
from backend.couriers.models import Courier
from backend.shipments.models import Collection, DeliveryAttempt, Job
from backend.shipments.states import CollectionKind, JobKind
from parcelkit.rules import cod as cod_rules


def held_collections(courier_id: int) -> QuerySet[Collection]:
    """The courier's cash records not yet in a handover, oldest first."""
    taken = HandoverItem.objects.filter(collection_id=OuterRef("pk"))
    return (
        Collection.objects.filter(courier_id=courier_id, method=cod_rules.CASH)
        .exclude(Exists(taken))
        .order_by("pk")
    )


def held_total(courier_id: int) -> dict[str, int]:
    rows = list(held_collections(courier_id).values_list("amount_fen", flat=True))
    return {"fen": sum(rows), "count": len(rows)}


def _variance_json(v: Variance) -> dict[str, Any]:
    return {
        "id": v.pk,
        "handover_id": v.handover_id,
        "service_date": v.service_date.isoformat(),
        "amount_fen": v.amount_fen,
        "reason": v.reason,
        "supervisor_signed_at": v.supervisor_signed_at.isoformat(),
        "courier_signed_at": v.courier_signed_at.isoformat() if v.courier_signed_at else None,
    }


def holding(courier: Courier) -> dict[str, Any]:
    """What the handheld's end-of-day screen shows: the cash held per parcel and in total.

    Also the courier's latest declaration and handover, and the variances still waiting for the
    courier's signature. One shape for ``GET /cod/holding`` and the sync pull's ``cod`` block.
    """
    rows = list(
        held_collections(courier.pk).values(
            "pk",
            "kind",
            "job_id",
            "shipment__tracking_no",
            "amount_fen",
            "collected_at",
            "service_date",
            "corrects_id",
        )
    )
    parcels = [
        {
            "collection_id": r["pk"],
            "kind": r["kind"],
            "job_id": r["job_id"],
            "tracking_no": r["shipment__tracking_no"],
            "amount_fen": r["amount_fen"],
            "collected_at": r["collected_at"].isoformat(),
            "service_date": r["service_date"].isoformat(),
            "corrects": r["corrects_id"],
        }
        for r in rows
    ]
    last = Handover.objects.filter(courier=courier).order_by("-pk").first()
    declared = Declaration.objects.filter(courier=courier).order_by("-pk").first()
    if declared is not None and last is not None and declared.recorded_at <= last.confirmed_at:
        declared = None  # already used by the last handover
    unsigned = Variance.objects.filter(courier=courier, courier_signed_at__isnull=True).order_by("pk")
    return {
        "courier_id": courier.pk,
        "held_fen": sum(p["amount_fen"] for p in parcels),
        "held_count": len(parcels),
        "parcels": parcels,
        "declared_fen": declared.declared_fen if declared else None,
        "last_handover": None
        if last is None
        else {
            "id": last.pk,
            "confirmed_at": last.confirmed_at.isoformat(),
            "expected_fen": last.expected_fen,
            "received_fen": last.received_fen,
        },
        "variances_to_sign": [_variance_json(v) for v in unsigned],
    }


@dataclass
class ReportRow:
    """One courier's day. ``outstanding_fen``: that day's cash no handover has taken in yet."""

    service_date: str
    courier_id: int
    employee_no: str
    courier_name: str
    expected_fen: int = 0  # COD due on the day's delivery jobs, plus pickup fees taken at the door
    collected_fen: int = 0  # every method, corrections included
    collected_cash_fen: int = 0
    collected_mobile_fen: int = 0
    handed_over_fen: int = 0  # received by supervisors in that day's handovers
    variance_fen: int = 0
    outstanding_fen: int = 0
    cod_failed_attempts: int = 0  # cod_refused / cod_partial / cod_not_ready
    variances: list[dict[str, Any]] = field(default_factory=list)


def _sum(qs: QuerySet[Any], keys: tuple[str, ...], total: str) -> dict[tuple[Any, ...], int]:
    return {
        tuple(r[k] for k in keys): r["t"]
        for r in qs.values(*keys).annotate(t=Coalesce(Sum(total), 0)).order_by()
    }


def report(*, station_id: int, date_from: date, date_to: date) -> list[ReportRow]:
    """Expected / collected / handed over / variance / outstanding per courier per day (a fixed number of queries)."""
    days = {"service_date__gte": date_from, "service_date__lte": date_to, "station_id": station_id}
    cod_jobs = Job.objects.filter(kind=JobKind.DELIVERY, shipment__cod_amount_fen__gt=0, **days)
    expected = _sum(
        cod_jobs.exclude(courier=None), ("service_date", "courier_id"), "shipment__cod_amount_fen"
    )
    money = Collection.objects.filter(**days)
    fees = _sum(money.filter(kind=CollectionKind.PICKUP_FEE), ("service_date", "courier_id"), "expected_fen")
    collected = _sum(money, ("service_date", "courier_id", "method"), "amount_fen")
    taken = HandoverItem.objects.filter(collection_id=OuterRef("pk"))
    outstanding = _sum(
        money.filter(method=cod_rules.CASH).exclude(Exists(taken)),
        ("service_date", "courier_id"),
        "amount_fen",
    )
    handed = _sum(Handover.objects.filter(**days), ("service_date", "courier_id"), "received_fen")
    variances = list(Variance.objects.filter(**days).order_by("pk"))
    failed = {
        (r["job__service_date"], r["job__courier_id"]): r["n"]
        for r in DeliveryAttempt.objects.filter(
            reason_code__in=cod_rules.COD_REASONS,
            job__station_id=station_id,
            job__service_date__gte=date_from,
            job__service_date__lte=date_to,
        )
        .values("job__service_date", "job__courier_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    keys = {k for k in expected} | {k for k in fees} | {k[:2] for k in collected} | set(handed) | set(failed)
    keys |= {(v.service_date, v.courier_id) for v in variances}
    keys = {k for k in keys if k[1] is not None}
    couriers = {c.pk: c for c in Courier.objects.filter(pk__in={k[1] for k in keys})}
    rows: dict[tuple[Any, ...], ReportRow] = {}
    for day, courier_id in sorted(keys, key=lambda k: (k[0], couriers[k[1]].employee_no)):
        c = couriers[courier_id]
        rows[(day, courier_id)] = ReportRow(
            service_date=day.isoformat(),
            courier_id=courier_id,
            employee_no=c.employee_no,
            courier_name=c.name,
            expected_fen=expected.get((day, courier_id), 0) + fees.get((day, courier_id), 0),
            handed_over_fen=handed.get((day, courier_id), 0),
            outstanding_fen=outstanding.get((day, courier_id), 0),
            cod_failed_attempts=failed.get((day, courier_id), 0),
        )
    for (day, courier_id, method), amount in collected.items():
        row = rows[(day, courier_id)]
        row.collected_fen += amount
        if method == cod_rules.CASH:
            row.collected_cash_fen += amount
        else:
            row.collected_mobile_fen += amount
    for v in variances:
        row = rows[(v.service_date, v.courier_id)]
        row.variance_fen += v.amount_fen
        row.variances.append(_variance_json(v))
    return list(rows.values())


def report_json(rows: list[ReportRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


CSV_COLUMNS = (
    "service_date",
    "employee_no",
    "courier_name",
    "expected_fen",
    "collected_fen",
    "collected_cash_fen",
    "collected_mobile_fen",
    "handed_over_fen",
    "variance_fen",
    "outstanding_fen",
    "cod_failed_attempts",
    "variance_reasons",
    "variances_unsigned_by_courier",
)


def report_csv_rows(rows: list[ReportRow]) -> list[list[object]]:
    """The CSV export's lines (fen as integers: a spreadsheet divides by 100, nothing is rounded)."""
    out: list[list[object]] = [list(CSV_COLUMNS)]
    for r in rows:
        data = asdict(r)
        data["variance_reasons"] = " | ".join(v["reason"] for v in r.variances)
        data["variances_unsigned_by_courier"] = sum(1 for v in r.variances if v["courier_signed_at"] is None)
        out.append([data[c] for c in CSV_COLUMNS])
    return out


def held_by_courier(courier_ids: list[int]) -> dict[int, tuple[int, int]]:
    """The cash each of these couriers holds now: ``{courier id: (fen, records)}`` (one query)."""
    taken = HandoverItem.objects.filter(collection_id=OuterRef("pk"))
    rows = (
        Collection.objects.filter(courier_id__in=courier_ids, method=cod_rules.CASH)
        .exclude(Exists(taken))
        .values("courier_id")
        .annotate(fen=Sum("amount_fen"), n=Count("pk"))
        .order_by()
    )
    return {r["courier_id"]: (int(r["fen"]), int(r["n"])) for r in rows}
