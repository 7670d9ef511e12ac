"""A refusal's code, said in the reader's language (the service's own message is English)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from backend.common.errors import DomainError


def refusal_text(exc: DomainError) -> str:
    texts = {
        "invalid": _("Check the form: a reason is required."),
        "invalid_time_window": _("Propose a window that is still ahead and ends after it starts."),
        "already_resolved": _("Someone already resolved this exception."),
        "not_found": _("This is not an open exception any more."),
        "permission_denied": _("This belongs to another station."),
        "wrong_role": _("Only a supervisor can do this."),
        "invalid_transition": _("The job is closed; there is nothing left to agree."),
        "wrong_job_kind": _("Only a delivery is negotiated with its customer."),
    }
    return texts.get(exc.code, exc.message)
