"""Forms of the exceptions queue and the shipment page: they parse; the views call one service."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.exceptions.kinds import ExceptionKind, RevealField

REASON_MAX = 500
LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]  # what <input type="datetime-local"> sends


class ResolveForm(forms.Form):
    kind = forms.ChoiceField(choices=ExceptionKind.choices)
    subject = forms.CharField(max_length=80)
    reason = forms.CharField(
        max_length=REASON_MAX, strip=True, error_messages={"required": _("A reason is required.")}
    )


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=RevealField.choices)
    reason = forms.CharField(
        max_length=REASON_MAX, strip=True, error_messages={"required": _("A reason is required.")}
    )


class ProposeForm(forms.Form):
    """A window in the station's local time, as typed by the supervisor."""

    job = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    start = forms.DateTimeField(input_formats=LOCAL_INPUT)
    end = forms.DateTimeField(input_formats=LOCAL_INPUT)

    def __init__(self, *args: Any, time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = ZoneInfo(time_zone)

    def full_clean(self) -> None:
        # Naive input is read in the station's zone, whatever the server's or the browser's.
        with timezone.override(self.time_zone):
            super().full_clean()

    def window(self) -> tuple[datetime, datetime]:
        return self.cleaned_data["start"], self.cleaned_data["end"]
