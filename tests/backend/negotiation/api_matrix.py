"""Permission-matrix rows of the negotiation endpoints (tests/backend/api/test_permission_matrix.py)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from backend.negotiation import pickup_codes
from backend.negotiation.models import PickupHold, SupervisorException
from backend.negotiation.services import OptionInput, negotiation_answer, negotiation_offer
from backend.shipments.context import Ctx
from backend.shipments.services import job_fail
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


def _answered(w: World, kind: str) -> None:
    """The delivery failed and its customer chose ``kind`` (a station hold, a return)."""
    now = timezone.now()
    w.start(w.delivery)
    job_fail(job_id=w.delivery.pk, ctx=w.courier_person.ctx, reason_code="not_home")
    options = [
        OptionInput(key="x", kind=kind, text={"zh": "选这个", "en": "This"}),
        OptionInput(key="k", kind="keep", text={"zh": "照常派送", "en": "As planned"}),
    ]
    n = negotiation_offer(
        job_id=w.delivery.pk,
        ctx=w.supervisor.ctx,
        trigger="supervisor",
        options=options,
        default_key="k",
        deadline=now + timedelta(hours=1),
        now=now,
    )
    negotiation_answer(negotiation_id=n.pk, option_key="x", channel="link", language="zh", ctx=Ctx.system())


def _held(w: World) -> None:
    _answered(w, "hold_station")
    w.extra["code"] = pickup_codes.code_of(PickupHold.objects.get(job_id=w.delivery.pk).secret)


def _exception_url(w: World) -> str:
    exc = SupervisorException.objects.get(job_id=w.delivery.pk)
    return f"/api/v1/supervisor-exceptions/{exc.pk}/resolve"


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
    "negotiation-hand-over": Row(
        "post",
        lambda w: f"/api/v1/jobs/{w.delivery.pk}/hand-over",
        "401 403w 403w 200 404 200",
        body=lambda w: {"code": w.extra["code"], "recipient_name": "李四"},
        setup=_held,
    ),
    "supervisor-exception-resolve": Row(
        "post",
        _exception_url,
        "401 403w 403w 200 404 200",
        body=lambda w: {"decision": "accept", "reason": "收件人拒收"},
        setup=lambda w: _answered(w, "return"),
    ),
}
