"""The forecast page of the console: the history, the next seven days, the couriers they need."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backend.console.access import station_for
from backend.couriers.selectors import station_today
from backend.forecast.selectors import forecast_page


@login_required
@require_GET
def forecast(request: HttpRequest, code: str) -> HttpResponse:
    _, station = station_for(request, code)
    page = forecast_page(station=station, today=station_today(station, timezone.now()))
    return render(request, "console/forecast.html", {"page": page, "chart": page.chart()})
