"""Refuse / return to sender: the answer records the customer's wish and opens a "return pending"
exception; a supervisor confirms it (the parcel goes back, the delivery job closes) or declines it
(the courier tries again)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.common.errors import DomainError
from backend.negotiation.models import NegotiationEvent, SupervisorException
from backend.negotiation.selectors import supervisor_exceptions_open
from backend.negotiation.services import negotiation_answer, supervisor_exception_resolve
from backend.shipments.context import Ctx
from backend.shipments.models import Job, TrackingEvent
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db


def wants_return(job, supervisor) -> SupervisorException:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    negotiation_answer(
        negotiation_id=n.pk,
        option_key="ret",
        channel="link",
        language="zh",
        ctx=Ctx.system(),
        now=NOW + timedelta(minutes=1),
    )
    return supervisor_exceptions_open(station_id=job.station_id).get()


def test_the_answer_only_records_the_wish(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    exc = wants_return(job, supervisor)
    j = Job.objects.get(pk=job.pk)
    assert (exc.kind, exc.job_id, exc.resolved_at) == ("return_pending", job.pk, None)
    assert (j.status, j.shipment.status, j.next_step["confirmed"]) == ("failed", "delivery_failed", False)


def test_a_confirmed_return_sends_the_parcel_back_and_closes_the_delivery(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    exc = wants_return(job, supervisor)
    supervisor_exception_resolve(
        exception_id=exc.pk, ctx=supervisor.ctx, decision="accept", reason="收件人拒收"
    )
    j = Job.objects.get(pk=job.pk)
    assert (j.status, j.shipment.status) == ("cancelled", "returning")
    assert (j.next_step["kind"], j.next_step["confirmed"], j.next_step["confirmed_by"]) == (
        "return",
        True,
        supervisor.user.pk,
    )
    assert TrackingEvent.objects.filter(shipment=j.shipment, kind="returning").count() == 1
    assert NegotiationEvent.objects.filter(kind="resolved").get().details["decision"] == "accept"


def test_a_declined_return_goes_back_to_the_courier(job, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    exc = wants_return(job, supervisor)
    supervisor_exception_resolve(
        exception_id=exc.pk, ctx=supervisor.ctx, decision="decline", reason="已联系，明天再送"
    )
    j = Job.objects.get(pk=job.pk)
    assert (j.status, j.courier_id, j.next_step["kind"]) == ("assigned", courier[0].pk, "retry")
    assert j.next_step["return_declined"] == "已联系，明天再送"


@pytest.mark.parametrize(
    ("who", "decision", "reason", "code"),
    [
        ("courier", "accept", "ok", "wrong_role"),
        ("other_supervisor", "accept", "ok", "permission_denied"),
        ("supervisor", "maybe", "ok", "invalid"),
        ("supervisor", "accept", "  ", "invalid"),
    ],
)
def test_only_the_stations_supervisor_decides(
    job, supervisor, courier, other_supervisor, who, decision, reason, code
) -> None:  # type: ignore[no-untyped-def]
    exc = wants_return(job, supervisor)
    person = {"courier": courier[1], "other_supervisor": other_supervisor, "supervisor": supervisor}[who]
    with pytest.raises(DomainError) as err:
        supervisor_exception_resolve(exception_id=exc.pk, ctx=person.ctx, decision=decision, reason=reason)
    assert err.value.code == code
    assert SupervisorException.objects.get().resolved_at is None


def test_rest_resolve(job, supervisor, other_supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    exc = wants_return(job, supervisor)
    url = f"/api/v1/supervisor-exceptions/{exc.pk}/resolve"
    assert Api().post(url, {"decision": "accept", "reason": "x"}, as_=other_supervisor).status_code == 404
    assert Api().post(url, {"decision": "accept", "reason": "x"}, as_=courier[1]).status_code == 403
    assert Api().post(url, {"decision": "nope", "reason": "x"}, as_=supervisor).status_code == 400
    r = Api().post(url, {"decision": "accept", "reason": "拒收"}, as_=supervisor)
    assert (r.status_code, r.json()["decision"], r.json()["kind"]) == (200, "accept", "return_pending")
    again = Api().post(url, {"decision": "decline", "reason": "x"}, as_=supervisor)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
