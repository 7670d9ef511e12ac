"""Log in, log out, who am I, and per-device tokens."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import selectors, services
from backend.accounts.models import ApiToken
from backend.accounts.permissions import IsStaffOrCourier, principal
from backend.accounts.roles import Principal
from backend.common.api import error_responses

TOKEN_ID = OpenApiParameter(
    "token_id", {"type": "integer", "minimum": 1, "maximum": selectors.MAX_ID}, OpenApiParameter.PATH
)


class ProfileStation(serializers.Serializer[object]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class ProfileCourier(serializers.Serializer[object]):
    id = serializers.IntegerField()
    employee_no = serializers.CharField()
    name = serializers.CharField()
    vehicle_type = serializers.CharField()
    duty_status = serializers.CharField()


class ProfileUser(serializers.Serializer[object]):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ProfileOutput(serializers.Serializer[object]):
    role = serializers.CharField()
    user = ProfileUser()
    courier = ProfileCourier(allow_null=True)
    station = ProfileStation(allow_null=True)
    managed_stations = ProfileStation(
        many=True, help_text="the stations the caller runs as station manager (站长); empty for others"
    )


def profile(user: Any, who: Principal) -> dict[str, Any]:
    """The caller as the handheld and the console show it (admins have no courier and no station;
    a manager of several stations has no single ``station`` but lists them in ``managed_stations``)."""
    courier = getattr(user, "courier", None) if who.courier_id else None
    supervisor = getattr(user, "supervisor", None)
    manager = getattr(user, "station_manager", None)
    managed = list(manager.stations.order_by("code")) if who.is_manager and manager is not None else []
    station = None
    if courier is not None:
        station = courier.station
    elif supervisor is not None and supervisor.station_id == who.station_id:
        station = supervisor.station
    elif who.station_id is not None:
        station = next((s for s in managed if s.pk == who.station_id), None)
    return {
        "role": who.role.value,
        "user": user,
        "courier": courier,
        "station": station,
        "managed_stations": managed,
    }


class LoginApi(APIView):
    authentication_classes: list[type] = []  # a stale token in the header must not block logging in
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer[None]):
        login = serializers.CharField(max_length=150, help_text="employee number (couriers) or username")
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        device_id = serializers.CharField(max_length=64)

        class Meta:
            ref_name = "LoginInput"

    class OutputSerializer(ProfileOutput):
        token = serializers.CharField()

        class Meta:
            ref_name = "LoginOutput"

    @extend_schema(
        operation_id="auth_login",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ip = request.META.get("REMOTE_ADDR") or None  # daphne --proxy-headers sets it behind a proxy
        token, key, who = services.login(**data.validated_data, ip=ip)
        body = {"token": key, **profile(token.user, who)}
        return Response(self.OutputSerializer(body).data)


class LogoutApi(APIView):
    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="auth_logout", request=None, responses={204: None, **error_responses(401, 403)}
    )
    def post(self, request: Request) -> Response:
        # Only DeviceTokenAuthentication is configured, so an authenticated request carries its ApiToken.
        if isinstance(request.auth, ApiToken):
            services.token_revoke(token=request.auth, reason="logged out")
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsStaffOrCourier]

    @extend_schema(operation_id="auth_me", responses={200: ProfileOutput, **error_responses(401, 403)})
    def get(self, request: Request) -> Response:
        return Response(ProfileOutput(profile(request.user, principal(request))).data)


class TokenOutput(serializers.ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "device_id", "created_at", "last_used_at", "revoked_at", "revoked_reason"]


class TokenListApi(APIView):
    permission_classes = [IsStaffOrCourier]

    @extend_schema(
        operation_id="auth_tokens_list",
        responses={200: TokenOutput(many=True), **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        tokens = selectors.tokens_live_for_user(user_id=principal(request).require_user_id())
        return Response(TokenOutput(tokens, many=True).data)


class TokenRevokeApi(APIView):
    permission_classes = [IsStaffOrCourier]

    class InputSerializer(serializers.Serializer[None]):
        reason = serializers.CharField(max_length=200, required=False, default="revoked")

        class Meta:
            ref_name = "TokenRevokeInput"

    @extend_schema(
        operation_id="auth_token_revoke",
        parameters=[TOKEN_ID],
        request=InputSerializer,
        responses={200: TokenOutput, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, token_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = selectors.token_get_for_revocation(principal(request), token_id)
        services.token_revoke(token=token, reason=data.validated_data["reason"])
        token.refresh_from_db()
        return Response(TokenOutput(token).data)
