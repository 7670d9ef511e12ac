"""Putting the question to the customer: a link to the page, in one message through the gateway.

``negotiation_prompt`` sends the message of one open negotiation (once: the notify app keys it by
job, trigger and occasion). ``negotiation_prompt_morning`` is the morning prompt of every station
whose prompt time has passed today, by the station's own clock and date.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from backend.couriers.models import Station
from backend.negotiation.links import link_issue
from backend.negotiation.models import Negotiation
from backend.negotiation.services.triggers import PLANNED, negotiation_offer_morning
from backend.negotiation.states import NegotiationState, Trigger
from backend.notify.models import Message
from backend.notify.services import message_queue
from backend.shipments.models import Job
from backend.shipments.states import JobKind
from parcelkit.rules.privacy import mask_name

# The template of each trigger's message (backend/notify/texts.py). Proposals are not sent yet.
TEMPLATE_OF = {Trigger.MORNING: "morning", Trigger.FAILED_ATTEMPT: "failed_attempt"}
# Jobs prompted per run: each computes its route's windows; the next run (minutes later) goes on.
MORNING_BATCH = 300


def _occasion(negotiation: Negotiation, tz: ZoneInfo) -> str:
    """One morning message per job and station day; one message per other negotiation."""
    if negotiation.trigger == Trigger.MORNING:
        return negotiation.created_at.astimezone(tz).date().isoformat()
    return f"n{negotiation.pk}"


def negotiation_prompt(*, negotiation_id: int, now: datetime | None = None) -> Message | None:
    """Send the customer the link to an open negotiation (once per job, trigger and occasion).

    The text names the recipient masked and carries the link; never the phone number or the
    address. None when the negotiation is closed, or its trigger sends no message.
    """
    now = now or timezone.now()
    n = Negotiation.objects.select_related("shipment", "station").filter(pk=negotiation_id).first()
    if n is None or n.state != NegotiationState.OFFERED or n.trigger not in TEMPLATE_OF:
        return None
    tz = ZoneInfo(n.station.time_zone)
    token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=now)
    params = {
        "name": mask_name(n.shipment.recipient_name),
        "link": f"{settings.PUBLIC_BASE_URL}/n/{token}/",
        "deadline": f"{n.deadline.astimezone(tz):%H:%M}",
    }
    planned = n.option("planned")
    if planned is not None and planned.get("window_start") and planned.get("window_end"):
        start = datetime.fromisoformat(str(planned["window_start"])).astimezone(tz)
        end = datetime.fromisoformat(str(planned["window_end"])).astimezone(tz)
        params["window"] = f"{start:%H:%M}–{end:%H:%M}"
    message, _ = message_queue(
        job_id=n.job_id,
        trigger=n.trigger,
        occasion=_occasion(n, tz),
        template=TEMPLATE_OF[Trigger(n.trigger)],
        language=settings.NOTIFY_LANGUAGE,
        params=params,
        now=now,
    )
    return message


def station_prompt_day(station: Station, now: datetime) -> date | None:
    """The station's date when its prompt time has passed on it, by its own clock; else None."""
    local = now.astimezone(ZoneInfo(station.time_zone))
    return local.date() if local.time() >= station.morning_prompt_at else None


def negotiation_prompt_morning(*, now: datetime | None = None) -> int:
    """The morning prompt: every delivery in today's plan of every station past its prompt time.

    Safe to run every few minutes and twice at once: jobs already prompted that day are skipped,
    and each job's negotiation and message are once per station day. Returns the messages queued.
    """
    now = now or timezone.now()
    queued = 0
    budget = MORNING_BATCH
    for station in Station.objects.order_by("pk"):
        day = station_prompt_day(station, now)
        if day is None or budget <= 0:
            continue
        prompted = Message.objects.filter(trigger=Trigger.MORNING, occasion=day.isoformat()).values("job_id")
        job_ids = list(
            Job.objects.filter(
                station=station,
                kind=JobKind.DELIVERY,
                service_date=day,
                status__in=PLANNED,
                courier__isnull=False,
                eta__isnull=False,
            )
            .exclude(pk__in=prompted)
            .order_by("eta", "pk")
            .values_list("pk", flat=True)[:budget]
        )
        budget -= len(job_ids)
        for job_id in job_ids:
            negotiation = negotiation_offer_morning(job_id=job_id, day=day, now=now)
            if negotiation is not None and negotiation_prompt(negotiation_id=negotiation.pk, now=now):
                queued += 1
    return queued
