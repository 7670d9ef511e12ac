"""Public tracking (no login) and the reference lists a client needs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from backend.accounts.permissions import IsStaffOrCourier
from backend.common.api import error_responses
from backend.shipments import selectors
from backend.shipments.api.serializers import TRACKING_NO
from backend.shipments.models import Shipment
from backend.shipments.states import EventKind, NextStep, ReasonCode, ShipmentStatus
from backend.shipments.tracking_access import tracking_details_check
from parcelkit.rules.privacy import Surface, mask_name, phone_for

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


TRACK_PHONE_LAST4 = OpenApiParameter(
    "phone_last4",
    str,
    description="the last four digits of the recipient's phone: without them only the status is shown",
    required=False,
)


class TrackingThrottle(AnonRateThrottle):
    """Per client address, tighter than the other anonymous endpoints (``TRACK_RATE``)."""

    scope = "track"


class TrackingApi(APIView):
    """Public tracking: the status to anyone, the details to whoever knows the phone's last four."""

    authentication_classes: list[type] = []  # public: a stale token must not turn this into a 401
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, TrackingThrottle]  # the general limit, and this one's

    class StatusSerializer(serializers.Serializer[object]):
        tracking_no = serializers.CharField()
        status = serializers.CharField()
        status_label = serializers.CharField()

        class Meta:
            ref_name = "TrackingStatusOutput"

    class OutputSerializer(StatusSerializer):
        service_level = serializers.CharField()
        recipient_name = serializers.CharField(help_text="masked: 张*")
        recipient_phone = serializers.CharField(help_text="masked, last four only: *******5678")
        promised_start = serializers.DateTimeField(allow_null=True)
        promised_end = serializers.DateTimeField(allow_null=True)
        events = PublicEvent(many=True)

        class Meta:
            ref_name = "TrackingOutput"

    @staticmethod
    def status_view(shipment: Shipment) -> dict[str, Any]:
        return {
            "tracking_no": shipment.tracking_no,
            "status": shipment.status,
            "status_label": ShipmentStatus(shipment.status).label,
        }

    @classmethod
    def public_view(cls, shipment: Shipment) -> dict[str, Any]:
        return {
            **cls.status_view(shipment),
            "service_level": shipment.service_level,
            "recipient_name": mask_name(shipment.recipient_name),
            "recipient_phone": phone_for(Surface.PUBLIC_TRACKING, shipment.recipient_phone),
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
        parameters=[TRACKING_NO, TRACK_PHONE_LAST4],
        responses={
            200: PolymorphicProxySerializer(
                component_name="TrackingAnswer",
                serializers=[StatusSerializer, OutputSerializer],
                resource_type_field_name=None,
            ),
            **error_responses(400, 403, 404, 429),
        },
        auth=[],
    )
    def get(self, request: Request, tracking_no: str) -> Response:
        shipment = selectors.shipment_public(tracking_no)
        last4 = request.query_params.get("phone_last4")
        if last4 is None:
            return Response(self.StatusSerializer(self.status_view(shipment)).data)
        tracking_details_check(shipment.tracking_no, shipment.recipient_phone, last4)
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
