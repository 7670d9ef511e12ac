"""The console's forms: they parse and validate; the views hand the result to one service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from backend.accounts.roles import Role, principal_of
from backend.dispatch.services import JobVersion

MAX_JOBS = 2000


class ConsoleLoginForm(AuthenticationForm):
    """Django's login form, for station staff only: couriers use the handheld."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if principal_of(user).role not in (Role.SUPERVISOR, Role.ADMIN):
            raise forms.ValidationError(
                _("The console is for station supervisors and admins; couriers use the handheld app."),
                code="not_staff",
            )


class ReassignForm(forms.Form):
    """``jobs`` is ``id:version`` pairs, comma-separated: the versions the supervisor saw."""

    courier = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = forms.CharField(max_length=500, strip=True)
    jobs = forms.CharField(max_length=MAX_JOBS * 24)
    # How many cards the page renders of the receiving lane (absent: all of them): the answer
    # renders the moved jobs' cards that land among those only (backend/console/moves.py).
    shown = forms.IntegerField(min_value=0, max_value=100_000, required=False)

    def clean_jobs(self) -> list[JobVersion]:
        raw: str = self.cleaned_data["jobs"]
        pairs: list[JobVersion] = []
        for part in raw.split(","):
            job_id, _, version = part.strip().partition(":")
            if not (job_id.isdigit() and version.isdigit()):
                raise forms.ValidationError("give each job as id:version", code="invalid")
            pairs.append(JobVersion(job_id=int(job_id), version=int(version)))
        if not pairs or len(pairs) > MAX_JOBS:
            raise forms.ValidationError(f"between 1 and {MAX_JOBS} jobs", code="invalid")
        return pairs

    def errors_dict(self) -> dict[str, Any]:
        return {name: [e["message"] for e in errs] for name, errs in self.errors.get_json_data().items()}


class CardsQuery(forms.Form):
    """The jobs whose cards the page wants re-rendered after feed messages."""

    jobs = forms.CharField(max_length=MAX_JOBS * 12)

    def clean_jobs(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["jobs"].split(",") if p.strip()]
        if not parts or len(parts) > MAX_JOBS or not all(p.isdigit() and len(p) < 19 for p in parts):
            raise forms.ValidationError("comma-separated job ids", code="invalid")
        return [int(p) for p in parts]


class LaneQuery(forms.Form):
    """A lane's next page of cards: ``lane`` (``unassigned``, ``held`` or ``courier-<id>``) from ``offset``."""

    lane = forms.RegexField(regex=r"^(unassigned|held|courier-[1-9][0-9]{0,17})$")
    offset = forms.IntegerField(min_value=0, max_value=100_000)
