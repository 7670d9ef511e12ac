"""Revoking a lost handheld's tokens. (A station's couriers with their day's jobs: ``shipments/api/couriers.py``.)"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import services as account_services
from backend.accounts.permissions import IsStationStaff, principal
from backend.common.api import error_responses
from backend.couriers import selectors

COURIER_ID = OpenApiParameter(
    "courier_id", {"type": "integer", "minimum": 1, "maximum": selectors.MAX_ID}, OpenApiParameter.PATH
)


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


class CourierUnlockLoginApi(APIView):
    """Lift a courier's lockout after too many wrong passwords (recorded with the reason)."""

    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        reason = serializers.CharField(max_length=200)

        class Meta:
            ref_name = "CourierUnlockLoginInput"

    @extend_schema(
        operation_id="courier_unlock_login",
        parameters=[COURIER_ID],
        request=InputSerializer,
        responses={204: None, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, courier_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        courier = selectors.courier_get_for_staff(principal(request), courier_id)
        account_services.login_unlock(
            user_id=courier.user_id, actor=principal(request), reason=data.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
