"""A station's couriers for the supervisor console, and revoking a lost handheld's tokens."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import services as account_services
from backend.common.api import error_responses
from backend.common.permissions import IsStationStaff, principal
from backend.couriers import selectors
from backend.couriers.models import Courier

STATION_CODE = OpenApiParameter(
    "code", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,16}$"}, OpenApiParameter.PATH
)
COURIER_ID = OpenApiParameter(
    "courier_id", {"type": "integer", "minimum": 1, "maximum": selectors.MAX_ID}, OpenApiParameter.PATH
)


class StationCouriersApi(APIView):
    permission_classes = [IsStationStaff]

    class OutputSerializer(serializers.ModelSerializer[Courier]):
        open_jobs = serializers.IntegerField(help_text="assigned/accepted/started/arrived jobs of today")
        completed_jobs = serializers.IntegerField()
        failed_jobs = serializers.IntegerField()
        # Wall-clock times at the station, "08:00:00": not OpenAPI "time", which needs an offset.
        shift_start = serializers.CharField()
        shift_end = serializers.CharField()

        class Meta:
            ref_name = "StationCouriersOutput"
            model = Courier
            fields = [
                "id",
                "employee_no",
                "name",
                "phone",
                "vehicle_type",
                "duty_status",
                "shift_start",
                "shift_end",
                "open_jobs",
                "completed_jobs",
                "failed_jobs",
            ]

    @extend_schema(
        operation_id="station_couriers_list",
        parameters=[STATION_CODE],
        responses={200: OutputSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        station = selectors.station_get_for_staff(principal(request), code)
        couriers = selectors.couriers_for_station(station_id=station.pk, day=selectors.station_today(station))
        return Response(self.OutputSerializer(couriers, many=True).data)


class CourierRevokeTokensApi(APIView):
    """A lost or stolen handheld: cut it off now (all the courier's devices, or just one)."""

    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        reason = serializers.CharField(max_length=200)
        device_id = serializers.CharField(max_length=64, required=False, allow_blank=True)

        class Meta:
            ref_name = "CourierRevokeTokensInput"

    class OutputSerializer(serializers.Serializer[object]):
        courier_id = serializers.IntegerField()
        revoked = serializers.IntegerField(help_text="how many live tokens were revoked")

        class Meta:
            ref_name = "CourierRevokeTokensOutput"

    @extend_schema(
        operation_id="courier_revoke_tokens",
        parameters=[COURIER_ID],
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, courier_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        courier = selectors.courier_get_for_staff(principal(request), courier_id)
        count = account_services.tokens_revoke_for_user(
            user_id=courier.user_id,
            reason=data.validated_data["reason"],
            device_id=data.validated_data.get("device_id") or None,
        )
        return Response(self.OutputSerializer({"courier_id": courier.pk, "revoked": count}).data)
