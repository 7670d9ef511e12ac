"""The courier feed sends a negotiation in the handheld's shape: no pickup code; the station's is whole."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.negotiation.services import OptionInput, negotiation_offer
from backend.realtime.audience import Audience
from backend.realtime.selectors import FeedRow
from backend.realtime.validation import validate
from backend.shipments.models import FeedEntry
from tests.backend.sync.helpers import ready_job

pytestmark = pytest.mark.django_db


def test_the_courier_feed_masks_option_extras_and_the_station_feed_keeps_them(
    station, courier, supervisor
) -> None:  # type: ignore[no-untyped-def]
    mine, _ = courier
    job = ready_job(station, supervisor, mine)
    n = negotiation_offer(
        job_id=job.pk,
        ctx=supervisor.ctx,
        trigger="supervisor",
        options=[
            OptionInput(
                "st", "hold_station", {"zh": "自取", "en": "Collect"}, extra={"locker": "西溪驿站 7号柜"}
            ),
            OptionInput("keep", "keep", {"zh": "原计划", "en": "As planned"}),
        ],
        default_key="keep",
        deadline=timezone.now() + timedelta(hours=1),
    )
    row = FeedRow.of(FeedEntry.objects.get(kind="negotiation.updated", job_id=job.pk))
    as_courier = json.loads(Audience("courier", mine.pk).render(row) or "")
    as_station = json.loads(Audience("station", station.pk).render(row) or "")
    for message in (as_courier, as_station):
        validate(message)
    sent = as_courier["payload"]["negotiation"]
    assert (sent["id"], sent["state"], sent["window_start"]) == (n.pk, "offered", None)
    assert "西溪驿站" not in json.dumps(as_courier, ensure_ascii=False)
    assert as_station["payload"]["negotiation"]["options"][0]["locker"] == "西溪驿站 7号柜"
