"""Public tracking (no login) and the reference lists a client needs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStaffOrCourier
from backend.common.api import error_responses
from backend.shipments import selectors
from backend.shipments.api.serializers import TRACKING_NO
from backend.shipments.models import Shipment
from backend.shipments.states import EventKind, NextStep, ReasonCode, ShipmentStatus
from parcelkit.rules.privacy import mask_name, mask_phone

# What a recipient may see of the history. Dispatch internals (who got the job, reassignments,
# acceptance, sorting) stay inside: they say nothing useful and hint at staffing.
PUBLIC_EVENTS = frozenset(
    {
        EventKind.CREATED,
        EventKind.PICKUP_SCAN,
        EventKind.STATION_IN,
        EventKind.LOADED_OUT,
        EventKind.JOB_STARTED,
        EventKind.JOB_ARRIVED,
        EventKind.DELIVERY_ATTEMPT,
        EventKind.PICKUP_FAILED,
        EventKind.DELIVERED,
        EventKind.HELD,
        EventKind.EXCEPTION,
        EventKind.RETURNING,
        EventKind.RETURNED,
        EventKind.CANCELLED,
    }
)


class PublicEvent(serializers.Serializer[object]):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # drf-stubs: a field named "label" shadows Field.label
    at = serializers.DateTimeField()


class TrackingApi(APIView):
    authentication_classes: list[type] = []  # public: a stale token must not turn this into a 401
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer[object]):
        tracking_no = serializers.CharField()
        status = serializers.CharField()
        status_label = serializers.CharField()
        service_level = serializers.CharField()
        recipient_name = serializers.CharField(help_text="masked: 张*")
        recipient_phone = serializers.CharField(help_text="masked: 138****5678")
        promised_start = serializers.DateTimeField(allow_null=True)
        promised_end = serializers.DateTimeField(allow_null=True)
        events = PublicEvent(many=True)

        class Meta:
            ref_name = "TrackingOutput"

    @staticmethod
    def public_view(shipment: Shipment) -> dict[str, Any]:
        return {
            "tracking_no": shipment.tracking_no,
            "status": shipment.status,
            "status_label": ShipmentStatus(shipment.status).label,
            "service_level": shipment.service_level,
            "recipient_name": mask_name(shipment.recipient_name),
            "recipient_phone": mask_phone(shipment.recipient_phone),
            "promised_start": shipment.promised_start,
            "promised_end": shipment.promised_end,
            "events": [
                {"kind": e.kind, "label": EventKind(e.kind).label, "at": e.event_at}
                for e in shipment.events.all()
                if e.kind in PUBLIC_EVENTS
            ],
        }

    @extend_schema(
        operation_id="track_public",
        parameters=[TRACKING_NO],
        responses={200: OutputSerializer, **error_responses(400, 404)},
        auth=[],
    )
    def get(self, request: Request, tracking_no: str) -> Response:
        shipment = selectors.shipment_public(tracking_no)
        return Response(self.OutputSerializer(self.public_view(shipment)).data)


class Choice(serializers.Serializer[object]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # drf-stubs: a field named "label" shadows Field.label


class ReasonCodesApi(APIView):
    permission_classes = [IsStaffOrCourier]

    class OutputSerializer(serializers.Serializer[object]):
        reason_codes = Choice(many=True)
        next_steps = Choice(many=True, help_text="kinds of next_step on a failed attempt")

        class Meta:
            ref_name = "ReasonCodesOutput"

    @extend_schema(
        operation_id="reason_codes", responses={200: OutputSerializer, **error_responses(401, 403)}
    )
    def get(self, request: Request) -> Response:
        body = {
            "reason_codes": [{"code": c.value, "label": c.label} for c in ReasonCode],
            "next_steps": [{"code": c.value, "label": c.label} for c in NextStep],
        }
        return Response(self.OutputSerializer(body).data)
