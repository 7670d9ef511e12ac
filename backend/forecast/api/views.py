"""The forecast for supervisors: a station's stored forecast, the couriers it needs, the history
before it and the backtest (docs/forecast.md). Read-only; the nightly task writes."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import IsStationStaff, principal
from backend.common.api import error_responses
from backend.couriers.selectors import station_get_for_staff, station_today
from backend.forecast.models import ForecastDay, ForecastRun
from backend.forecast.selectors import forecast_page
from backend.shipments.api.serializers import STATION_CODE


class DayOutput(serializers.ModelSerializer[ForecastDay]):
    class Meta:
        model = ForecastDay
        fields = [
            "day",
            "horizon",
            "pickups",
            "deliveries",
            "pickups_model",
            "deliveries_model",
            "pickups_known",
            "deliveries_known",
            "deliveries_in_transit",
            "couriers_needed",
            "holiday",
            "peak",
        ]


class RunOutput(serializers.ModelSerializer[ForecastRun]):
    class Meta:
        model = ForecastRun
        fields = [
            "issued_on",
            "computed_at",
            "history_days",
            "method",
            "calendar_known",
            "stops_per_hour",
            "shift_hours",
            "capacity_measured",
            "couriers",
            "shares",
            "backtest",
        ]


class HistoryOutput(serializers.Serializer[Any]):
    first_day = serializers.DateField()
    pickups = serializers.ListField(child=serializers.IntegerField())
    deliveries = serializers.ListField(child=serializers.IntegerField())


class ForecastOutput(serializers.Serializer[Any]):
    station = serializers.CharField()
    run = RunOutput(allow_null=True)
    days = DayOutput(many=True)
    history = HistoryOutput()


class StationForecastApi(APIView):
    permission_classes = [IsStationStaff]

    @extend_schema(
        operation_id="station_forecast",
        parameters=[STATION_CODE],
        responses={200: ForecastOutput, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, code: str) -> Response:
        station = station_get_for_staff(principal(request), code)
        page = forecast_page(station=station, today=station_today(station, timezone.now()))
        body = {
            "station": station.code,
            "run": page.run,
            "days": page.days,
            "history": {"first_day": page.history_first, **page.history},
        }
        return Response(ForecastOutput(body).data)
