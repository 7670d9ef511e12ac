"""Query filters of the supervisor's job list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from backend.shipments.models import Job
from backend.shipments.states import JobKind, JobStatus

_MAX_ID_DIGITS = 18  # anything longer cannot be a bigint id; treat it as an employee number only


class StationJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    kind = django_filters.ChoiceFilter(choices=JobKind.choices)
    courier = django_filters.CharFilter(
        method="filter_courier", max_length=32, label="courier id or employee number"
    )
    service_date = django_filters.DateFilter()
    unassigned = django_filters.BooleanFilter(
        field_name="courier", lookup_expr="isnull", label="true: only jobs nobody has"
    )

    class Meta:
        model = Job
        fields = ["status", "kind", "courier", "service_date", "unassigned"]

    def filter_courier(self, queryset: QuerySet[Job], name: str, value: str) -> QuerySet[Job]:
        match = Q(courier__employee_no=value)
        if value.isascii() and value.isdigit() and len(value) <= _MAX_ID_DIGITS:
            match |= Q(courier_id=int(value))
        return queryset.filter(match)
