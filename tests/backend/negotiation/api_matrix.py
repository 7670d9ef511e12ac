"""Permission-matrix rows of the negotiation endpoints (tests/backend/api/test_permission_matrix.py)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from backend.negotiation.services import OptionInput, negotiation_offer
from tests.backend.api.matrix import Row, World


def _link_url(w: World) -> str:
    now = timezone.now()
    n = negotiation_offer(
        job_id=w.delivery.pk,
        ctx=w.supervisor.ctx,
        trigger="supervisor",
        options=[OptionInput(key="k", kind="keep", text={"zh": "照常派送", "en": "As planned"})],
        default_key="k",
        deadline=now + timedelta(hours=1),
        now=now,
    )
    return f"/api/v1/negotiations/{n.pk}/link"


ROWS: dict[str, Row] = {
    # anon courier_own courier_other sup_own sup_other admin
    "negotiation-link-issue": Row("post", _link_url, "401 403w 403w 201 404 201"),
    "negotiation-propose": Row(
        "post",
        lambda w: f"/api/v1/jobs/{w.delivery.pk}/propose",
        "401 201 404 201 404 201",
        body=lambda w: {
            "window_start": (timezone.now() + timedelta(hours=1)).isoformat(),
            "window_end": (timezone.now() + timedelta(hours=2)).isoformat(),
        },
    ),
}
