"""A shipment with its history, a supervisor's decision on it, and hand-over scans."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStaffOrCourier, IsStationStaff, principal
from backend.common.api import error_responses
from backend.shipments import selectors, services
from backend.shipments.api.ctx import applying, ctx_from
from backend.shipments.api.serializers import (
    IDEMPOTENCY_KEY,
    TRACKING_NO,
    DateTimeField,
    ShipmentDetail,
    shipment_detail_for,
)
from backend.shipments.scan_rules import SCAN_TARGET
from backend.shipments.states import ShipmentStatus


class ShipmentDetailApi(APIView):
    """Supervisors see their station's shipments, admins all, couriers those they have a job for
    (the side their jobs need, and no one else's trail: serializers.shipment_detail_for)."""

    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="shipment_detail",
        parameters=[TRACKING_NO],
        responses={200: ShipmentDetail, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, tracking_no: str) -> Response:
        who = principal(request)
        return Response(shipment_detail_for(who, selectors.shipment_get_for(who, tracking_no)))


class ShipmentTransitionApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        to = serializers.ChoiceField(
            choices=[c for c in ShipmentStatus.choices if c[0] != ShipmentStatus.CREATED]
        )
        reason = serializers.CharField(max_length=200)

        class Meta:
            ref_name = "ShipmentTransitionInput"

    @extend_schema(
        operation_id="shipment_transition",
        parameters=[TRACKING_NO, IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={200: ShipmentDetail, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        who = principal(request)
        shipment = selectors.shipment_get_for(who, tracking_no)
        ctx = ctx_from(request, {})
        with applying(ctx):
            services.shipment_transition(
                shipment_id=shipment.pk,
                to=data.validated_data["to"],
                ctx=ctx,
                reason=data.validated_data["reason"],
            )
        return Response(ShipmentDetail(selectors.shipment_get_for(who, tracking_no)).data)


class ScanApi(APIView):
    """A hand-over scan by a courier or station staff of the shipment's station."""

    permission_classes = [IsStaffOrCourier]

    class InputSerializer(serializers.Serializer[None]):
        tracking_no = serializers.CharField(max_length=20)
        kind = serializers.ChoiceField(choices=sorted(SCAN_TARGET))
        event_at = DateTimeField(required=False)
        lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
        lng = serializers.FloatField(required=False, min_value=-180, max_value=180)
        accuracy_m = serializers.FloatField(required=False, min_value=0, max_value=100_000)

        class Meta:
            ref_name = "ScanInput"

    class OutputSerializer(serializers.Serializer[object]):
        event_id = serializers.IntegerField()
        kind = serializers.CharField()
        tracking_no = serializers.CharField()
        status = serializers.CharField(help_text="the shipment's status after the scan")
        status_unchanged = serializers.BooleanField(
            help_text="true when the scan was recorded but could not move the status (a late upload)"
        )

        class Meta:
            ref_name = "ScanOutput"

    @extend_schema(
        operation_id="scan_create",
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ctx = ctx_from(request, data.validated_data)
        with applying(ctx):
            event = services.scan(
                tracking_no=data.validated_data["tracking_no"], scan_kind=data.validated_data["kind"], ctx=ctx
            )
        body = {
            "event_id": event.pk,
            "kind": event.kind,
            "tracking_no": event.shipment.tracking_no,
            "status": event.shipment.status,
            "status_unchanged": bool(event.details.get("status_unchanged")),
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)
