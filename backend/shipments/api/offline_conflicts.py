"""Offline facts held for a supervisor (docs/sync-protocol.md, conflict rules): the open ones of a
station, and the decision on one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStationStaff, principal
from backend.common.api import error_responses
from backend.couriers.selectors import station_get_for_staff
from backend.shipments import selectors
from backend.shipments.api.ctx import ctx_from
from backend.shipments.api.serializers import STATION_CODE
from backend.shipments.models import OfflineConflict
from backend.shipments.services.offline import offline_conflict_resolve

CONFLICT_ID = OpenApiParameter("conflict_id", int, OpenApiParameter.PATH)


class OfflineConflictOutput(serializers.ModelSerializer[OfflineConflict]):
    tracking_no = serializers.CharField(source="job.shipment.tracking_no")

    class Meta:
        model = OfflineConflict
        fields = [
            "id",
            "job",
            "tracking_no",
            "courier",
            "kind",
            "recorded_at",
            "judged_at",
            "received_at",
            "fact",
            "server_side",
            "state",
            "resolved_by",
            "resolved_at",
            "resolution_reason",
        ]


class StationOfflineConflictsApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="station_offline_conflicts",
        parameters=[STATION_CODE],
        responses={200: OfflineConflictOutput(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        rows = selectors.offline_conflicts_open(station_id=station.pk)
        return Response(OfflineConflictOutput(rows, many=True).data)


class OfflineConflictResolveApi(APIView):
    permission_classes = [IsStationStaff]

    class InputSerializer(serializers.Serializer[None]):
        accept = serializers.BooleanField()
        reason = serializers.CharField(max_length=200)

        class Meta:
            ref_name = "OfflineConflictResolveInput"

    @extend_schema(
        operation_id="offline_conflict_resolve",
        parameters=[CONFLICT_ID],
        request=InputSerializer,
        responses={200: OfflineConflictOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, conflict_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = offline_conflict_resolve(
            conflict_id=conflict_id,
            ctx=ctx_from(request, {}, keyed=False),
            accept=data.validated_data["accept"],
            reason=data.validated_data["reason"],
        )
        return Response(OfflineConflictOutput(done).data)
