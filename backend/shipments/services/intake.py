"""Taking shipments in: one from a form, or a merchant's whole manifest."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates, clean_phone, clean_time_window, clean_tracking_no
from backend.couriers.models import Station
from backend.shipments.context import Ctx
from backend.shipments.models import Job, Shipment
from backend.shipments.numbering import check_client_number, next_tracking_no
from backend.shipments.services.recording import feed_job, record_event, require_station_staff
from backend.shipments.states import EventKind, HandlingFlag, JobKind, JobStatus, ServiceLevel

MAX_BULK = 2000


@dataclass
class ShipmentInput:
    kind: str  # "pickup": we collect from the sender; "delivery": it reaches our station to deliver
    sender_name: str
    sender_phone: str
    sender_address: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    tracking_no: str = ""
    sender_lat: float | None = None
    sender_lng: float | None = None
    recipient_lat: float | None = None
    recipient_lng: float | None = None
    recipient_postcode: str = ""
    destination_region: str = ""
    service_level: str = ServiceLevel.STANDARD
    promised_start: datetime | None = None
    promised_end: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    service_date: date | None = None
    declared_value_fen: int = 0
    cod_amount_fen: int = 0
    handling: list[str] = field(default_factory=list)
    declared_weight_g: int | None = None
    pieces: int = 1
    priority: int = 0
    delivery_code: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShipmentInput:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def validate(self) -> None:
        if self.kind not in JobKind.values:
            raise DomainError("invalid", "kind must be pickup or delivery")
        if self.tracking_no:
            self.tracking_no = clean_tracking_no(self.tracking_no)
        self.sender_phone = clean_phone(self.sender_phone)
        self.recipient_phone = clean_phone(self.recipient_phone)
        for name in ("sender_name", "sender_address", "recipient_name", "recipient_address"):
            if not str(getattr(self, name)).strip():
                raise DomainError("invalid", f"{name} is required", field=name)
        for prefix in ("sender", "recipient"):
            lat, lng = getattr(self, f"{prefix}_lat"), getattr(self, f"{prefix}_lng")
            if (lat is None) != (lng is None):
                raise DomainError("invalid_coordinates", f"{prefix}: give both lat and lng")
            if lat is not None:
                clean_coordinates(lat, lng)
        clean_time_window(self.promised_start, self.promised_end)
        clean_time_window(self.window_start, self.window_end)
        if self.service_level not in ServiceLevel.values:
            raise DomainError("invalid", f"service_level must be one of {ServiceLevel.values}")
        bad = [h for h in self.handling if h not in HandlingFlag.values]
        if bad:
            raise DomainError("invalid", f"unknown handling flags {bad}")
        if self.declared_value_fen < 0 or self.cod_amount_fen < 0:
            raise DomainError("invalid", "money amounts cannot be negative")
        if not 1 <= self.pieces <= 999:
            raise DomainError("invalid", "pieces must be 1–999")


def _service_date(data: ShipmentInput, station: Station) -> date:
    if data.service_date:
        return data.service_date
    anchor = data.window_start or data.promised_start or timezone.now()
    return anchor.astimezone(ZoneInfo(station.time_zone)).date()


def _create_one(data: ShipmentInput, station: Station, ctx: Ctx) -> Job:
    if data.tracking_no:
        check_client_number(data.tracking_no)
        if Shipment.objects.filter(tracking_no=data.tracking_no).exists():
            raise DomainError("duplicate_tracking_no", f"{data.tracking_no} already exists")
    shipment = Shipment.objects.create(
        tracking_no=data.tracking_no or next_tracking_no(),
        station=station,
        service_level=data.service_level,
        sender_name=data.sender_name,
        sender_phone=data.sender_phone,
        sender_address=data.sender_address,
        sender_lat=data.sender_lat,
        sender_lng=data.sender_lng,
        recipient_name=data.recipient_name,
        recipient_phone=data.recipient_phone,
        recipient_address=data.recipient_address,
        recipient_postcode=data.recipient_postcode,
        recipient_lat=data.recipient_lat,
        recipient_lng=data.recipient_lng,
        destination_region=data.destination_region,
        promised_start=data.promised_start,
        promised_end=data.promised_end,
        declared_value_fen=data.declared_value_fen,
        cod_amount_fen=data.cod_amount_fen,
        handling=list(data.handling),
        declared_weight_g=data.declared_weight_g,
        pieces=data.pieces,
        delivery_code=data.delivery_code,
    )
    pickup = data.kind == JobKind.PICKUP
    job = Job.objects.create(
        kind=data.kind,
        shipment=shipment,
        station=station,
        status=JobStatus.PENDING,
        service_date=_service_date(data, station),
        address=data.sender_address if pickup else data.recipient_address,
        lat=data.sender_lat if pickup else data.recipient_lat,
        lng=data.sender_lng if pickup else data.recipient_lng,
        window_start=data.window_start or (None if pickup else data.promised_start),
        window_end=data.window_end or (None if pickup else data.promised_end),
        priority=data.priority,
    )
    record_event(ctx, shipment=shipment, job=job, kind=EventKind.CREATED, details={"intake": data.kind})
    feed_job("job.created", job)
    return job


@transaction.atomic
def shipment_create(*, station_id: int, data: ShipmentInput, ctx: Ctx) -> Job:
    """Create a shipment and its first job (a pickup at the sender or a delivery to the recipient)."""
    require_station_staff(ctx, station_id)
    data.validate()
    station = Station.objects.get(pk=station_id)
    return _create_one(data, station, ctx)


@transaction.atomic
def shipments_create_bulk(*, station_id: int, rows: list[ShipmentInput], ctx: Ctx) -> list[Job]:
    """All or nothing: a manifest with a bad row is refused whole, with every bad row listed."""
    require_station_staff(ctx, station_id)
    if not rows or len(rows) > MAX_BULK:
        raise DomainError("invalid", f"a manifest holds 1–{MAX_BULK} shipments")
    errors: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for i, row in enumerate(rows):
        try:
            row.validate()
            if row.tracking_no and row.tracking_no in seen:
                raise DomainError("duplicate_tracking_no", f"{row.tracking_no} appears twice in the manifest")
            seen.add(row.tracking_no)
        except DomainError as exc:
            errors[str(i)] = {"code": exc.code, "message": exc.message}
    taken = set(Shipment.objects.filter(tracking_no__in=seen - {""}).values_list("tracking_no", flat=True))
    for i, row in enumerate(rows):
        if row.tracking_no in taken:
            errors.setdefault(
                str(i), {"code": "duplicate_tracking_no", "message": f"{row.tracking_no} exists"}
            )
    if errors:
        # Not ``invalid``: every row has the documented shape; the rows break rules (a phone, a
        # check digit, a number already taken), each named in ``details.rows``.
        raise DomainError(
            "manifest_refused",
            f"{len(errors)} of {len(rows)} rows are refused; nothing was created",
            rows=errors,
        )
    station = Station.objects.get(pk=station_id)
    return [_create_one(row, station, ctx) for row in rows]
