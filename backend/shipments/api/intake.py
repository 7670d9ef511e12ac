"""Taking shipments in at a station: one from a form, or a merchant's manifest (all or nothing)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStationStaff, principal
from backend.common.api import error_responses
from backend.common.errors import DomainError
from backend.couriers.selectors import station_get_for_staff
from backend.shipments import services
from backend.shipments.api.ctx import applying, ctx_from
from backend.shipments.api.serializers import (
    IDEMPOTENCY_KEY,
    MAX_BIGINT,
    MAX_INT,
    STATION_CODE,
    DateField,
    DateTimeField,
    JobOutput,
)
from backend.shipments.services.intake import MAX_BULK, ShipmentInput
from backend.shipments.states import HandlingFlag, JobKind, ServiceLevel


class ShipmentRow(serializers.Serializer[None]):
    """One shipment as a form or a manifest row gives it. Limits match the database columns."""

    kind = serializers.ChoiceField(choices=JobKind.choices)
    sender_name = serializers.CharField(max_length=64)
    sender_phone = serializers.CharField(max_length=32)
    sender_address = serializers.CharField(max_length=255)
    recipient_name = serializers.CharField(max_length=64)
    recipient_phone = serializers.CharField(max_length=32)
    recipient_address = serializers.CharField(max_length=255)
    tracking_no = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    sender_lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    sender_lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    recipient_lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    recipient_lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    recipient_postcode = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    destination_region = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    service_level = serializers.ChoiceField(choices=ServiceLevel.choices, required=False, default="standard")
    promised_start = DateTimeField(required=False, allow_null=True)
    promised_end = DateTimeField(required=False, allow_null=True)
    window_start = DateTimeField(required=False, allow_null=True)
    window_end = DateTimeField(required=False, allow_null=True)
    service_date = DateField(required=False, allow_null=True)
    declared_value_fen = serializers.IntegerField(
        min_value=0, max_value=MAX_BIGINT, required=False, default=0
    )
    cod_amount_fen = serializers.IntegerField(min_value=0, max_value=MAX_BIGINT, required=False, default=0)
    handling = serializers.ListField(
        child=serializers.ChoiceField(choices=HandlingFlag.choices),
        max_length=len(HandlingFlag),
        required=False,
        default=list,
    )
    declared_weight_g = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, required=False, allow_null=True
    )
    pieces = serializers.IntegerField(min_value=1, max_value=999, required=False, default=1)
    priority = serializers.IntegerField(min_value=-100, max_value=100, required=False, default=0)
    delivery_code = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")


@extend_schema_field(ShipmentRow(many=True))
class RowsField(serializers.ListField):
    """Rows are checked one by one so every bad row is reported in ``details.rows`` by its index."""

    child = serializers.DictField()

    def to_internal_value(self, data: Any) -> list[ShipmentInput]:
        rows = super().to_internal_value(data)
        self.run_validators(rows)  # the size limits first: counting 5,000 rows is cheap, checking them is not
        checked = [ShipmentRow(data=row) for row in rows]
        errors = {
            str(i): {
                "code": "invalid",
                "message": "the row does not have the right shape",
                "fields": c.errors,
            }
            for i, c in enumerate(checked)
            if not c.is_valid()
        }
        if errors:
            raise DomainError(
                "invalid", f"{len(errors)} of {len(rows)} rows are invalid; nothing was created", rows=errors
            )
        return [ShipmentInput(**c.validated_data) for c in checked]


class ShipmentCreateApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="station_shipment_create",
        parameters=[STATION_CODE, IDEMPOTENCY_KEY],
        request=ShipmentRow,
        responses={201: JobOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        data = ShipmentRow(data=request.data)
        data.is_valid(raise_exception=True)
        ctx = ctx_from(request, {})
        with applying(ctx):
            job = services.shipment_create(
                station_id=station.pk, data=ShipmentInput(**data.validated_data), ctx=ctx
            )
        return Response(JobOutput(job).data, status=status.HTTP_201_CREATED)


class ShipmentBulkApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        rows = RowsField(min_length=1, max_length=MAX_BULK)

        class Meta:
            ref_name = "ShipmentBulkInput"

    class OutputSerializer(serializers.Serializer[object]):
        created = serializers.IntegerField()
        jobs = JobOutput(many=True)

        class Meta:
            ref_name = "ShipmentBulkOutput"

    @extend_schema(
        operation_id="station_shipments_bulk",
        parameters=[STATION_CODE],
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobs = services.shipments_create_bulk(
            station_id=station.pk, rows=data.validated_data["rows"], ctx=ctx_from(request, {}, keyed=False)
        )
        return Response(
            self.OutputSerializer({"created": len(jobs), "jobs": jobs}).data, status=status.HTTP_201_CREATED
        )
