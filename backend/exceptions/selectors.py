"""The exceptions queue of a station, and the audit rows a shipment page shows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from backend.couriers.models import Station
from backend.exceptions.items import ExceptionItem, QueueSettings
from backend.exceptions.models import ContactReveal, ExceptionResolution
from backend.exceptions.sources import SOURCES


def _open(station: Station, items: Iterable[ExceptionItem]) -> list[ExceptionItem]:
    items = list(items)
    resolved = set(
        ExceptionResolution.objects.filter(
            station_id=station.pk, subject__in={i.subject for i in items}
        ).values_list("kind", "subject")
    )
    return [i for i in items if (i.kind, i.subject) not in resolved]


def exception_queue(
    *, station: Station, now: datetime, kind: str = "", cfg: QueueSettings | None = None
) -> list[ExceptionItem]:
    """Every open exception of ``station`` at ``now`` (only ``kind`` if given), oldest first.

    One call per source plus one query for the resolutions that close some of them.
    """
    cfg = cfg or QueueSettings.from_settings()
    items = [
        item
        for source, kinds in SOURCES.items()
        if not kind or kind in kinds
        for item in source(station, now, cfg)
        if not kind or item.kind == kind
    ]
    return sorted(_open(station, items), key=lambda i: (i.since, i.kind, i.subject))


def exception_find(
    *, station: Station, kind: str, subject: str, now: datetime, cfg: QueueSettings | None = None
) -> ExceptionItem | None:
    """The open exception ``kind``/``subject`` if it still is one at ``now``."""
    return next(
        (i for i in exception_queue(station=station, now=now, kind=kind, cfg=cfg) if i.subject == subject),
        None,
    )


def resolutions_for_shipment(*, shipment_id: int) -> QuerySet[ExceptionResolution]:
    return (
        ExceptionResolution.objects.filter(shipment_id=shipment_id)
        .select_related("resolved_by")
        .order_by("resolved_at", "pk")
    )


def reveals_for_shipment(*, shipment_id: int) -> QuerySet[ContactReveal]:
    return (
        ContactReveal.objects.filter(shipment_id=shipment_id)
        .select_related("revealed_by")
        .order_by("revealed_at", "pk")
    )
