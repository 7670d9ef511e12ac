"""Output shapes shared by the shipment and job endpoints, and the documented path parameters.

Read-only ModelSerializers over rows the selectors loaded with their relations, so serialising a
list never issues a query per row.
"""

from __future__ import annotations

from datetime import date, datetime

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from backend.couriers.models import Courier
from backend.shipments.models import Job, Shipment, TrackingEvent

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


class DateTimeField(serializers.DateTimeField):
    """An aware datetime between 2000 and 2100: a device clock outside that is broken, and years
    near 1 or 9999 overflow on the way through time zones and the database driver."""

    def to_internal_value(self, value: datetime | str) -> datetime:
        parsed = super().to_internal_value(value)
        if not 2000 <= parsed.year <= 2100:
            raise serializers.ValidationError("must be between the years 2000 and 2100", code="invalid")
        return parsed


class DateField(serializers.DateField):
    def to_internal_value(self, value: date | str) -> date:
        parsed = super().to_internal_value(value)
        if not 2000 <= parsed.year <= 2100:
            raise serializers.ValidationError("must be between the years 2000 and 2100", code="invalid")
        return parsed


class ShipmentSummary(serializers.ModelSerializer[Shipment]):
    class Meta:
        model = Shipment
        fields = [
            "id",
            "tracking_no",
            "status",
            "service_level",
            "sender_name",
            "sender_phone",
            "recipient_name",
            "recipient_phone",
            "recipient_address",
            "promised_start",
            "promised_end",
            "cod_amount_fen",
            "handling",
            "pieces",
            "declared_weight_g",
            "measured_weight_g",
            "price_fen",
        ]
        read_only_fields = fields


class CourierBrief(serializers.ModelSerializer[Courier]):
    class Meta:
        model = Courier
        fields = ["id", "employee_no", "name"]
        read_only_fields = fields


class JobOutput(serializers.ModelSerializer[Job]):
    shipment = ShipmentSummary()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "version",
            "station_id",
            "courier_id",
            "service_date",
            "address",
            "lat",
            "lng",
            "window_start",
            "window_end",
            "priority",
            "planned_seq",
            "eta",
            "attempt_count",
            "next_step",
            "shipment",
        ]
        read_only_fields = fields


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
            "station_id",
            "station_code",
            "sender_address",
            "recipient_postcode",
            "destination_region",
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
