"""What the console's incidents and cash pages show: rows shaped for their templates.

Incidents: each open one with its clocks (acknowledge and decide by, in working-day hours; the
legal answer date and how many working days of the legal 7 are left), the resolutions its
playbook allows and its photos (a courier's or a customer's; those not uploaded yet marked). Cash:
the station's day per courier (the COD report's figures, the courier's latest declaration of the
day, the cash held now for a handover). Fixed query counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max

from backend.cod import selectors as cod
from backend.cod.models import Declaration
from backend.couriers.models import Courier, Station
from backend.incidents.models import Incident, Playbook
from backend.incidents.selectors import incidents_for_station
from backend.incidents.workdays import is_working_day
from backend.sync.models import Attachment

MAX_LEFT = 400


def working_days_left(today: date, legal_due: datetime, tz: ZoneInfo) -> int:
    """Working days from ``today`` (counted if it is one) to the last day of the legal clock."""
    last = (legal_due - timedelta(seconds=1)).astimezone(tz).date()
    left, day = 0, today
    while day <= last and left < MAX_LEFT:
        left += is_working_day(day)
        day += timedelta(days=1)
    return left


@dataclass
class IncidentRow:
    incident: Incident
    overdue_ack: bool
    overdue_decide: bool
    legal_last_day: date
    days_left: int
    resolutions: list[str] = field(default_factory=list)
    photos: list[tuple[str, bool]] = field(default_factory=list)  # (sha256, arrived)


def incident_rows(*, station: Station, now: datetime) -> list[IncidentRow]:
    tz = ZoneInfo(station.time_zone)
    allowed = {p.incident_type: list(p.allowed_resolutions) for p in Playbook.objects.all()}
    today = now.astimezone(tz).date()
    incidents = list(incidents_for_station(station_id=station.pk))
    named = {sha for i in incidents for sha in i.photo_sha256}
    arrived = set(Attachment.objects.filter(sha256__in=named, complete=True).values_list("sha256", flat=True))
    return [
        IncidentRow(
            incident=i,
            overdue_ack=i.acknowledged_at is None and i.ack_due <= now,
            overdue_decide=i.decide_due <= now,
            legal_last_day=(i.legal_due - timedelta(seconds=1)).astimezone(tz).date(),
            days_left=working_days_left(today, i.legal_due, tz),
            resolutions=allowed.get(i.incident_type, []),
            photos=[(sha, sha in arrived) for sha in i.photo_sha256],
        )
        for i in incidents
    ]


@dataclass
class CashRow:
    courier_id: int
    employee_no: str
    name: str
    expected_fen: int = 0
    collected_fen: int = 0
    declared_fen: int | None = None
    confirmed_fen: int = 0
    variance_fen: int = 0
    held_fen: int = 0  # now, whatever the day: what a handover would take in
    held_count: int = 0


def cash_rows(*, station: Station, day: date) -> list[CashRow]:
    """Every courier of the station: the day's COD report row, their latest declaration that day,
    and the cash they hold now."""
    couriers = list(Courier.objects.filter(station=station).order_by("employee_no"))
    report = {r.courier_id: r for r in cod.report(station_id=station.pk, date_from=day, date_to=day)}
    tz = ZoneInfo(station.time_zone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    latest = (
        Declaration.objects.filter(
            station=station, recorded_at__gte=start, recorded_at__lt=start + timedelta(days=1)
        )
        .values("courier_id")
        .annotate(last=Max("pk"))
        .order_by()
    )
    declared = dict(
        Declaration.objects.filter(pk__in=[d["last"] for d in latest]).values_list(
            "courier_id", "declared_fen"
        )
    )
    held = cod.held_by_courier([c.pk for c in couriers])
    rows = []
    for c in couriers:
        r = report.get(c.pk)
        row = CashRow(c.pk, c.employee_no, c.name, declared_fen=declared.get(c.pk))
        if r is not None:
            row.expected_fen, row.collected_fen = r.expected_fen, r.collected_fen
            row.confirmed_fen, row.variance_fen = r.handed_over_fen, r.variance_fen
        row.held_fen, row.held_count = held.get(c.pk, (0, 0))
        rows.append(row)
    return rows
