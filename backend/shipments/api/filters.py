"""Query filters of the supervisor's job list."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from backend.shipments.models import Job
from backend.shipments.states import JobKind, JobStatus

_MAX_ID_DIGITS = 18  # anything longer cannot be a bigint id; treat it as an employee number only


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or ``1``/``0``) as the schema says; django-filter's own boolean reads
    any other text (``AAA``, ``null``) as "no filter", which hid a typo behind a full list."""

    widget = forms.TextInput
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]  # None: not given, as NullBooleanField
        if value is None:
            return None
        if value not in self._VALUES:
            raise ValidationError("must be true or false", code="invalid")
        return self._VALUES[value]


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StationJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    kind = django_filters.ChoiceFilter(choices=JobKind.choices)
    courier = django_filters.CharFilter(
        method="filter_courier", max_length=32, label="courier id or employee number"
    )
    service_date = django_filters.DateFilter()
    unassigned = StrictBooleanFilter(
        field_name="courier", lookup_expr="isnull", label="true: only jobs nobody has"
    )

    class Meta:
        model = Job
        fields = ["status", "kind", "courier", "service_date", "unassigned"]

    def is_valid(self) -> bool:
        # django-filter reads ``?service_date=`` as "no filter"; the schema says a date (or an enum
        # value, a flag), so a parameter given empty is refused rather than ignored. Free text
        # (``courier``) may be empty, as its schema allows.
        valid = super().is_valid()
        data = self.data or {}
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter):
                continue
            if name in data and data.get(name) == "":
                self.form.add_error(name, "give a value or leave the parameter out")
                valid = False
        return valid

    def filter_courier(self, queryset: QuerySet[Job], name: str, value: str) -> QuerySet[Job]:
        match = Q(courier__employee_no=value)
        if value.isascii() and value.isdigit() and len(value) <= _MAX_ID_DIGITS:
            match |= Q(courier_id=int(value))
        return queryset.filter(match)
