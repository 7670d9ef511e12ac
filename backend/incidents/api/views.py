"""Supervisors' REST endpoints for incidents and disruptions: validate → call one service → serialize."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStationStaff, principal
from backend.common.api import error_responses, query_flag
from backend.couriers.selectors import station_get_for_staff
from backend.incidents import selectors
from backend.incidents.models import Disruption, Incident
from backend.incidents.services import (
    disruption_declare,
    disruption_lift,
    incident_acknowledge,
    incident_raise,
    incident_resolve,
)
from backend.incidents.services.disruptions import MAX_PREFIXES, DisruptionInput
from backend.incidents.services.incidents import Decision, IncidentInput
from backend.incidents.states import (
    DisruptionKind,
    DisruptionLevel,
    IncidentType,
    LiableParty,
    Resolution,
)
from backend.shipments.api.ctx import ctx_from
from backend.shipments.api.serializers import STATION_CODE

INCIDENT_ID = OpenApiParameter("incident_id", int, OpenApiParameter.PATH)
DISRUPTION_ID = OpenApiParameter("disruption_id", int, OpenApiParameter.PATH)
ALL = OpenApiParameter("all", bool, OpenApiParameter.QUERY, description="include the closed ones")
TO_MANAGER = OpenApiParameter(
    "escalated_to_manager",
    bool,
    OpenApiParameter.QUERY,
    description="only the incidents the playbook escalated to the station manager",
)
SHA256 = serializers.RegexField(r"^[0-9a-f]{64}$")


class IncidentOutput(serializers.ModelSerializer[Incident]):
    tracking_no = serializers.CharField(source="shipment.tracking_no", default="", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "incident_type",
            "source",
            "state",
            "shipment",
            "tracking_no",
            "job",
            "courier",
            "description",
            "photo_sha256",
            "raised_at",
            "ack_due",
            "decide_due",
            "alarm_at",
            "legal_due",
            "manager_due",
            "calendar_known",
            "escalation",
            "escalated_at",
            "manager_escalated_at",
            "acknowledged_at",
            "resolution",
            "amount_fen",
            "liable_party",
            "resolution_note",
            "resolved_at",
        ]


class DisruptionOutput(serializers.ModelSerializer[Disruption]):
    zone_code = serializers.CharField(source="zone.code", default="", read_only=True)
    held_jobs = serializers.SerializerMethodField()

    class Meta:
        model = Disruption
        fields = [
            "id",
            "kind",
            "level",
            "zone_code",
            "address_prefixes",
            "reason",
            "declared_at",
            "lifted_at",
            "held_jobs",
        ]

    def get_held_jobs(self, obj: Disruption) -> list[int]:
        return sorted(h.job_id for h in obj.holds.all() if h.released_at is None)


def _all(request: Request) -> bool:
    return query_flag(request, "all")


class StationIncidentsApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        incident_type = serializers.ChoiceField(choices=IncidentType.choices)
        shipment_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
        job_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
        description = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)
        photo_sha256 = serializers.ListField(child=SHA256, max_length=10, required=False, default=list)

        class Meta:
            ref_name = "IncidentRaiseInput"

    @extend_schema(
        operation_id="station_incidents",
        parameters=[STATION_CODE, ALL, TO_MANAGER],
        responses={200: IncidentOutput(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        rows = selectors.incidents_for_station(
            station_id=station.pk,
            open_only=not _all(request),
            manager_only=query_flag(request, "escalated_to_manager"),
        )
        return Response(IncidentOutput(rows, many=True).data)

    @extend_schema(
        operation_id="incident_raise",
        parameters=[STATION_CODE],
        request=InputSerializer,
        responses={201: IncidentOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ctx = ctx_from(request, {})
        incident = incident_raise(
            station_id=station.pk,
            data=IncidentInput(**data.validated_data),
            ctx=ctx,
            dedupe_key=ctx.idempotency_key,
        )
        return Response(IncidentOutput(incident).data, status=201)


class IncidentAcknowledgeApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="incident_acknowledge",
        parameters=[INCIDENT_ID],
        request=None,
        responses={200: IncidentOutput, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, incident_id: int) -> Response:
        incident = incident_acknowledge(incident_id=incident_id, ctx=ctx_from(request, {}, keyed=False))
        return Response(IncidentOutput(incident).data)


class IncidentResolveApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        resolution = serializers.ChoiceField(choices=Resolution.choices)
        note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
        amount_fen = serializers.IntegerField(min_value=1, max_value=2**53, required=False, allow_null=True)
        liable_party = serializers.ChoiceField(choices=LiableParty.choices, required=False, default="")

        class Meta:
            ref_name = "IncidentResolveInput"

    @extend_schema(
        operation_id="incident_resolve",
        parameters=[INCIDENT_ID],
        request=InputSerializer,
        responses={200: IncidentOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, incident_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = incident_resolve(
            incident_id=incident_id,
            decision=Decision(**data.validated_data),
            ctx=ctx_from(request, {}, keyed=False),
        )
        return Response(IncidentOutput(incident).data)


class StationDisruptionsApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        kind = serializers.ChoiceField(choices=DisruptionKind.choices)
        level = serializers.ChoiceField(choices=DisruptionLevel.choices)
        reason = serializers.CharField(max_length=500)
        # The service's limits (2–100 characters once trimmed, MAX_PREFIXES), stated in the schema.
        address_prefixes = serializers.ListField(
            child=serializers.CharField(min_length=2, max_length=100),
            max_length=MAX_PREFIXES,
            required=False,
            default=list,
        )
        zone_code = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)

        class Meta:
            ref_name = "DisruptionDeclareInput"

    @extend_schema(
        operation_id="station_disruptions",
        parameters=[STATION_CODE, ALL],
        responses={200: DisruptionOutput(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        rows = selectors.disruptions_for_station(station_id=station.pk, active_only=not _all(request))
        return Response(DisruptionOutput(rows.prefetch_related("holds"), many=True).data)

    @extend_schema(
        operation_id="disruption_declare",
        parameters=[STATION_CODE],
        request=InputSerializer,
        responses={201: DisruptionOutput, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        disruption = disruption_declare(
            station_id=station.pk,
            data=DisruptionInput(**values),
            ctx=ctx_from(request, {}, keyed=False),
        )
        return Response(DisruptionOutput(disruption).data, status=201)


class LiftOutput(serializers.Serializer[object]):
    disruption = DisruptionOutput()
    released_jobs = serializers.ListField(child=serializers.IntegerField())
    reassigned_jobs = serializers.ListField(child=serializers.IntegerField())


class DisruptionLiftApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="disruption_lift",
        parameters=[DISRUPTION_ID],
        request=None,
        responses={200: LiftOutput, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, disruption_id: int) -> Response:
        lifted = disruption_lift(disruption_id=disruption_id, ctx=ctx_from(request, {}, keyed=False))
        return Response(
            LiftOutput(
                {
                    "disruption": lifted.disruption,
                    "released_jobs": lifted.released,
                    "reassigned_jobs": lifted.reassigned,
                }
            ).data
        )
