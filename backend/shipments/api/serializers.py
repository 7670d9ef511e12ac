"""Output shapes shared by the shipment and job endpoints, and the documented path parameters.

Read-only ModelSerializers over rows the selectors loaded with their relations, so serialising a
list never issues a query per row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from backend.accounts.roles import Principal, Role
from backend.couriers.models import Courier
from backend.shipments.courier_view import courier_event, courier_job, courier_shipment
from backend.shipments.models import Job, Shipment, TrackingEvent
from backend.shipments.selectors import courier_job_kinds
from backend.shipments.snapshots import JOB_COLUMNS, SNAPSHOT_COLUMNS

MAX_ID = 2**63 - 1  # bigint primary keys
MAX_INT = 2**31 - 1  # Postgres integer columns (versions, grams, millimetres)
MAX_BIGINT = 2**63 - 1  # Postgres bigint columns (money in fen)

JOB_ID = OpenApiParameter(
    "job_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH
)
STATION_CODE = OpenApiParameter(
    "code", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,16}$"}, OpenApiParameter.PATH
)
TRACKING_NO = OpenApiParameter(
    "tracking_no",
    {"type": "string", "pattern": "^[A-Za-z0-9]{1,20}$", "example": "PR000000000019"},
    OpenApiParameter.PATH,
    description="PR + 12 digits with a check digit",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
    OpenApiParameter.HEADER,
    description="a client-chosen id for this operation; a repeat is refused with duplicate_operation",
)


# The years 2000–2100 in the schema: the format alone would allow 0001–9999, which the server refuses.
YEAR_2000_TO_2100 = "^(20[0-9]{2}|2100)-"
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": YEAR_2000_TO_2100}
DATETIME_SCHEMA = {"type": "string", "format": "date-time", "pattern": YEAR_2000_TO_2100}


@extend_schema_field(DATETIME_SCHEMA)
class DateTimeField(serializers.DateTimeField):
    """An aware datetime between 2000 and 2100: a device clock outside that is broken, and years
    near 1 or 9999 overflow on the way through time zones and the database driver."""

    def to_internal_value(self, value: datetime | str) -> datetime:
        parsed = super().to_internal_value(value)
        if not 2000 <= parsed.year <= 2100:
            raise serializers.ValidationError("must be between the years 2000 and 2100", code="invalid")
        return parsed


@extend_schema_field(DATE_SCHEMA)
class DateField(serializers.DateField):
    def get_value(self, dictionary: Any) -> Any:
        # DRF reads an empty query or form value of an optional field as "not given"; the schema
        # says a date, so ``?date=`` is refused like any other text that is not one.
        value = super().get_value(dictionary)
        if value is empty and hasattr(dictionary, "getlist") and dictionary.get(self.field_name) == "":
            return ""
        return value

    def to_internal_value(self, value: date | str) -> date:
        parsed = super().to_internal_value(value)
        if not 2000 <= parsed.year <= 2100:
            raise serializers.ValidationError("must be between the years 2000 and 2100", code="invalid")
        return parsed


class ShipmentSummary(serializers.ModelSerializer[Shipment]):
    class Meta:
        model = Shipment
        # The snapshot's columns (what the feeds and the pull carry) plus the declared weight.
        fields = [*SNAPSHOT_COLUMNS, "declared_weight_g"]
        read_only_fields = fields


class CourierBrief(serializers.ModelSerializer[Courier]):
    class Meta:
        model = Courier
        fields = ["id", "employee_no", "name"]
        read_only_fields = fields


class JobOutput(serializers.ModelSerializer[Job]):
    """A job with its shipment, as a supervisor or admin sees it (``CourierJobOutput`` for couriers)."""

    shipment = ShipmentSummary()

    class Meta:
        model = Job
        fields = [*JOB_COLUMNS, "shipment"]
        read_only_fields = fields


class CourierJobOutput(JobOutput):
    """A job as its courier sees it: the side of the shipment the job needs (courier_view.py)."""

    def to_representation(self, instance: Job) -> dict[str, Any]:
        return courier_job(super().to_representation(instance))


def job_output_for(who: Principal) -> type[JobOutput]:
    return CourierJobOutput if who.role is Role.COURIER else JobOutput


class StationJobOutput(JobOutput):
    """A supervisor's row: the job and who has it."""

    courier = CourierBrief(allow_null=True)

    class Meta(JobOutput.Meta):
        fields = [*JobOutput.Meta.fields, "courier"]
        read_only_fields = fields


class EventOutput(serializers.ModelSerializer[TrackingEvent]):
    class Meta:
        model = TrackingEvent
        fields = [
            "id",
            "kind",
            "status_after",
            "job_id",
            "station_id",
            "actor_id",
            "device_id",
            "event_at",
            "received_at",
            "lat",
            "lng",
            "accuracy_m",
            "details",
        ]
        read_only_fields = fields


class ShipmentDetail(ShipmentSummary):
    station_code = serializers.CharField(source="station.code")
    events = EventOutput(many=True)

    class Meta(ShipmentSummary.Meta):
        fields = [
            *ShipmentSummary.Meta.fields,
            "station_code",
            "recipient_postcode",
            "declared_value_fen",
            "measured_length_mm",
            "measured_width_mm",
            "measured_height_mm",
            "weight_source",
            "payment_method",
            "created_at",
            "updated_at",
            "events",
        ]
        read_only_fields = fields


def shipment_detail_for(who: Principal, shipment: Shipment) -> dict[str, Any]:
    """The detail as this principal may see it: a courier gets the side of their jobs on it and
    no one else's trail (who recorded each event, on which device, where)."""
    data: dict[str, Any] = dict(ShipmentDetail(shipment).data)
    if who.role is not Role.COURIER:
        return data
    kinds = courier_job_kinds(courier_id=who.require_courier_id(), shipment_ids=[shipment.pk])
    data = courier_shipment(data, kinds.get(shipment.pk, set()))
    data["events"] = [courier_event(dict(e), user_id=who.require_user_id()) for e in data["events"]]
    return data
