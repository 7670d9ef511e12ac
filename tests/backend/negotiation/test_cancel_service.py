"""negotiation_cancel: withdraws an open negotiation; a closed one stays as it is."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.negotiation.services import negotiation_cancel
from backend.shipments.models import FeedEntry
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db


def test_it_cancels_an_open_negotiation(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    done = negotiation_cancel(negotiation_id=n.pk, ctx=supervisor.ctx, reason="delivered by phone", now=NOW)
    assert (done.state, done.closed_at) == ("cancelled", NOW)
    last = FeedEntry.objects.filter(kind="negotiation.updated").order_by("-cursor").first()
    assert last is not None and last.payload["negotiation"]["state"] == "cancelled"


@pytest.mark.parametrize("reason", ["", "  "])
def test_it_needs_a_reason(job, supervisor, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        negotiation_cancel(negotiation_id=offer(job, supervisor.ctx).pk, ctx=supervisor.ctx, reason=reason)
    assert err.value.code == "invalid"


def test_a_closed_negotiation_cannot_be_cancelled(job, supervisor, other_supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    with pytest.raises(DomainError) as err:
        negotiation_cancel(negotiation_id=n.pk, ctx=other_supervisor.ctx, reason="x")
    assert err.value.code == "permission_denied"
    negotiation_cancel(negotiation_id=n.pk, ctx=supervisor.ctx, reason="x")
    with pytest.raises(DomainError) as err:
        negotiation_cancel(negotiation_id=n.pk, ctx=supervisor.ctx, reason="x")
    assert err.value.code == "invalid_transition"
