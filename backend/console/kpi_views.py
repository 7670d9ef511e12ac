"""The KPI page of the console: today's figures live, the 14-day trend and the courier ranking."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backend.console.access import station_for
from backend.kpis.selectors import kpi_page


@login_required
@require_GET
def kpis(request: HttpRequest, code: str) -> HttpResponse:
    _, station = station_for(request, code)
    page = kpi_page(station=station, now=timezone.now())
    return render(request, "console/kpis.html", {"page": page, "chart": page.chart()})
