"""POST /api/v1/locations: a courier's location ping (the same service as the websocket command)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.roles import principal_of
from backend.common.api import ErrorSerializer
from backend.common.errors import DomainError
from backend.locations.services import MAX_ACCURACY_M, location_record
from backend.shipments.context import Ctx


class LocationInput(serializers.Serializer[None]):
    """Also parses the ``location.ping`` websocket command, so both doors validate alike."""

    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(min_value=0, max_value=MAX_ACCURACY_M)
    recorded_at = serializers.DateTimeField()


def parse_location(data: Any) -> dict[str, Any]:
    """Validated fields, or ``DomainError("invalid")`` naming the first bad field."""
    if not isinstance(data, dict):
        raise DomainError("invalid", "a location needs lat, lng, accuracy_m and recorded_at")
    form = LocationInput(data=data)
    if not form.is_valid():
        field, problems = next(iter(form.errors.items()))
        raise DomainError("invalid", f"{field}: {problems[0]}", field=field)
    return dict(form.validated_data)


class LocationRecordApi(APIView):
    class OutputSerializer(serializers.Serializer[object]):
        id = serializers.IntegerField()
        received_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="location_record",
        request=LocationInput,
        responses={
            201: OutputSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            429: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        fields = parse_location(request.data)
        device_id = getattr(request.auth, "device_id", "")
        ctx = Ctx(actor=principal_of(request.user), device_id=device_id)
        location = location_record(ctx=ctx, **fields)
        return Response(self.OutputSerializer(location).data, status=status.HTTP_201_CREATED)
