"""Forms of the incidents, disruptions and cash pages: they parse; the views call one service."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.incidents.states import DisruptionKind, DisruptionLevel, LiableParty, Resolution

YUAN_MAX = Decimal("10000000000")


def fen(yuan: Decimal | None) -> int | None:
    return None if yuan is None else int(yuan * 100)


class YuanField(forms.DecimalField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_digits=13, decimal_places=2, min_value=Decimal(0), max_value=YUAN_MAX, **kwargs)  # type: ignore[arg-type]


class IncidentResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=Resolution.choices)
    amount_yuan = YuanField(required=False)
    liable_party = forms.ChoiceField(choices=[("", "—"), *LiableParty.choices], required=False)
    note = forms.CharField(max_length=500, required=False, strip=True)


class DisruptionForm(forms.Form):
    kind = forms.ChoiceField(choices=DisruptionKind.choices)
    level = forms.TypedChoiceField(choices=DisruptionLevel.choices, coerce=int)
    zone_code = forms.CharField(max_length=32, required=False, strip=True)
    address_prefixes = forms.CharField(
        max_length=2000, required=False, help_text=_("One address prefix a line.")
    )
    reason = forms.CharField(max_length=500, strip=True)

    def prefixes(self) -> list[str]:
        return [p.strip() for p in self.cleaned_data["address_prefixes"].splitlines() if p.strip()]


class HandoverForm(forms.Form):
    courier_id = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    expected_fen = forms.IntegerField(min_value=0, max_value=10**12)  # the amount the page showed
    received_yuan = YuanField()
    reason = forms.CharField(max_length=200, required=False, strip=True)


# Who may collect with the pickup code at the counter: the customer, or someone they sent with it.
COUNTER_RELATIONS = (
    ("self", _("The recipient")),
    ("family", _("Family")),
    ("colleague", _("Colleague or friend")),
)


class CounterHandOverForm(forms.Form):
    job_id = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    code = forms.RegexField(regex=r"^\s*\d{6}\s*$", max_length=12, strip=True)
    recipient_name = forms.CharField(max_length=64, strip=True)
    recipient_relation = forms.ChoiceField(choices=COUNTER_RELATIONS)
    cod_collected_yuan = YuanField(required=False)
