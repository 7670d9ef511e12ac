"""negotiation_offer: one open negotiation per job, what was offered kept verbatim, fed after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from backend.common.errors import DomainError
from backend.negotiation.models import Negotiation, NegotiationEvent
from backend.negotiation.services import OptionInput
from backend.shipments.models import FeedEntry
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db


def test_it_offers_the_options_as_shown_and_feeds_courier_and_station(job, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    assert (n.state, n.trigger, n.reason_code, n.default_key, n.chosen_key) == (
        "offered",
        "failed_attempt",
        "not_home",
        "w1",
        "",
    )
    assert n.options[0] == {
        "key": "w1",
        "kind": "window",
        "text": {"zh": "今天 14:00–15:00", "en": "Today 14:00–15:00"},
        "window_start": NOW.replace(hour=14).isoformat(),
        "window_end": NOW.replace(hour=15).isoformat(),
    }
    assert n.options[1]["kind"] == "hold_station" and "pickup_code" not in n.options[1]
    entry = FeedEntry.objects.filter(kind="negotiation.updated").get()
    assert (entry.courier_id, entry.station_id, entry.job_id) == (courier[0].pk, job.station_id, job.pk)
    assert entry.payload["negotiation"]["state"] == "offered"
    assert list(NegotiationEvent.objects.values_list("kind", flat=True)) == ["offered"]


def test_a_new_offer_supersedes_the_open_one(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    first = offer(job, supervisor.ctx)
    second = offer(job, supervisor.ctx)
    first.refresh_from_db()
    assert (first.state, first.closed_at, second.state) == ("superseded", NOW, "offered")
    states = [
        e.payload["negotiation"]["state"]
        for e in FeedEntry.objects.filter(kind="negotiation.updated").order_by("cursor")
    ]
    assert states == ["offered", "superseded", "offered"]


def test_the_database_allows_one_open_negotiation_per_job(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    with pytest.raises(IntegrityError), transaction.atomic():
        Negotiation.objects.create(
            job=job,
            shipment_id=job.shipment_id,
            station_id=job.station_id,
            trigger="courier",
            options=n.options,
            deadline=n.deadline,
            default_key="w1",
            created_at=NOW,
        )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"default_key": "st"}, "invalid"),  # silence is not consent
        ({"default_key": "ret"}, "invalid"),
        ({"default_key": "nope"}, "invalid"),
        ({"deadline": NOW - timedelta(minutes=1)}, "invalid"),
        ({"trigger": "whim"}, "invalid"),
        ({"reason_code": "aliens"}, "unknown_reason_code"),
        (
            {
                "options": [OptionInput(key="w", kind="window", text={"zh": "x", "en": "x"})],
                "default_key": "w",
            },
            "invalid_time_window",
        ),
        ({"options": [OptionInput(key="k", kind="keep", text={"zh": "好"})], "default_key": "k"}, "invalid"),
    ],
)
def test_it_refuses_bad_offers(job, supervisor, overrides, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        offer(job, supervisor.ctx, **overrides)
    assert err.value.code == code
    assert Negotiation.objects.count() == 0


def test_another_stations_supervisor_cannot_offer(job, other_supervisor) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        offer(job, other_supervisor.ctx)
    assert err.value.code == "permission_denied"


def test_a_courier_offers_on_their_own_job_only(job, courier, other_courier) -> None:  # type: ignore[no-untyped-def]
    assert offer(job, courier[1].ctx, trigger="courier").created_by_id == courier[1].user.pk
    with pytest.raises(DomainError) as err:
        offer(job, other_courier[1].ctx, trigger="courier")
    assert err.value.code == "not_assigned_to_you"


def test_it_publishes_only_after_commit(job, supervisor, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        offer(job, supervisor.ctx)
    assert len(callbacks) == 1  # the feed row's doorbell
