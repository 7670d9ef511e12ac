"""A station's couriers with their jobs of today counted, for the supervisor console.

Here rather than in ``couriers``: the counts are a read over jobs, and couriers sits below shipments
(docs/architecture.md, layers).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStationStaff, principal
from backend.common.api import error_responses
from backend.couriers.models import Courier
from backend.couriers.selectors import station_get_for_staff, station_today
from backend.shipments.selectors import couriers_for_station

STATION_CODE = OpenApiParameter(
    "code", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,16}$"}, OpenApiParameter.PATH
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
        station = station_get_for_staff(principal(request), code)
        couriers = couriers_for_station(station_id=station.pk, day=station_today(station))
        return Response(self.OutputSerializer(couriers, many=True).data)
