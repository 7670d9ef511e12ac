"""Recording courier location pings, and forgetting them after the retention period."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.broadcast.envelope import envelope, station_group
from backend.broadcast.ephemeral import publish_live_on_commit
from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates
from backend.couriers.models import Courier
from backend.locations.models import CourierLocation
from backend.shipments.context import CLOCK_SKEW_FLAG_S, Ctx

MAX_ACCURACY_M = 5000.0  # worse than this is a cell-tower guess, useless on a map
LIVE_MAX_AGE_S = 120  # an older fix (queued while offline) is kept but not shown as "now"


def min_interval_s() -> float:
    """The minimum seconds between two recorded pings of a device (setting ``PARCELRUN_LOCATION_MIN_INTERVAL_S``)."""
    return float(getattr(settings, "PARCELRUN_LOCATION_MIN_INTERVAL_S", 5))


def retention() -> timedelta:
    """How long pings are kept before ``locations_purge`` deletes them (setting ``PARCELRUN_LOCATION_RETENTION_S``)."""
    return timedelta(seconds=int(getattr(settings, "PARCELRUN_LOCATION_RETENTION_S", 24 * 3600)))


def _clean(lat: float, lng: float, accuracy_m: float, recorded_at: datetime, now: datetime) -> None:
    for name, value in (("lat", lat), ("lng", lng), ("accuracy_m", accuracy_m)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise DomainError("invalid", f"{name} must be a finite number", field=name)
    clean_coordinates(lat, lng)
    if not 0 <= accuracy_m <= MAX_ACCURACY_M:
        raise DomainError("invalid", f"accuracy_m must be 0–{MAX_ACCURACY_M:.0f} m", field="accuracy_m")
    if recorded_at.tzinfo is None:
        raise DomainError("invalid", "recorded_at needs a time zone", field="recorded_at")
    if recorded_at > now + timedelta(seconds=CLOCK_SKEW_FLAG_S):
        raise DomainError("time_out_of_range", "recorded_at is in the future", field="recorded_at")
    if recorded_at < now - retention():
        raise DomainError(
            "time_out_of_range", "recorded_at is older than locations are kept", field="recorded_at"
        )


@transaction.atomic
def location_record(
    *, ctx: Ctx, lat: float, lng: float, accuracy_m: float, recorded_at: datetime
) -> CourierLocation:
    """Keep a courier's location ping and show it live to their station.

    At most one ping per device is accepted every ``PARCELRUN_LOCATION_MIN_INTERVAL_S`` (5 s);
    extra ones get ``rate_limited`` with ``retry_after_s``. The courier row is locked so two pings
    racing from one device cannot both pass the check. Publishing happens after commit, to the
    station group only: customers' pages show no map, so no position is sent to them.
    """
    actor = ctx.actor
    if actor.role is not Role.COURIER or actor.courier_id is None:
        raise DomainError("wrong_role", "only couriers report their location")
    if not ctx.device_id:
        raise DomainError("invalid", "a location ping needs the device id")
    now = timezone.now()
    _clean(lat, lng, accuracy_m, recorded_at, now)
    courier = Courier.objects.select_for_update(no_key=True).only("pk", "station_id").get(pk=actor.courier_id)
    last = (
        CourierLocation.objects.filter(courier_id=courier.pk, device_id=ctx.device_id)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    interval = min_interval_s()
    if last is not None and (now - last).total_seconds() < interval:
        wait = interval - (now - last).total_seconds()
        raise DomainError(
            "rate_limited",
            f"one location ping per {interval:g} s per device",
            retry_after_s=round(wait, 1),
        )
    location = CourierLocation.objects.create(
        courier_id=courier.pk,
        device_id=ctx.device_id,
        lat=lat,
        lng=lng,
        accuracy_m=accuracy_m,
        recorded_at=recorded_at,
        received_at=now,
    )
    if (now - recorded_at).total_seconds() <= LIVE_MAX_AGE_S:
        publish_live_on_commit(_live_messages(location, courier.station_id))
    return location


def _live_messages(loc: CourierLocation, station_id: int) -> list[tuple[str, dict[str, Any]]]:
    exact = {
        "courier_id": loc.courier_id,
        "lat": loc.lat,
        "lng": loc.lng,
        "accuracy_m": loc.accuracy_m,
        "recorded_at": loc.recorded_at.isoformat(),
    }
    return [
        (station_group(station_id), envelope("courier.location", None, loc.received_at.isoformat(), exact))
    ]


def locations_purge(*, batch: int = 5000) -> int:
    """Delete pings older than the retention period, in batches (short locks). Returns how many."""
    cutoff = timezone.now() - retention()
    deleted = 0
    while True:
        ids = list(
            CourierLocation.objects.filter(received_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += CourierLocation.objects.filter(pk__in=ids).delete()[0]
