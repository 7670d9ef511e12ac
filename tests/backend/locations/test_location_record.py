"""location_record: validation, who may report, per-device rate limiting; and the retention purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from backend.common.errors import DomainError
from backend.locations.models import CourierLocation
from backend.locations.services import location_record, locations_purge
from backend.locations.tasks import purge_old_locations
from backend.shipments.context import Ctx


def _ping(ctx: Ctx, **overrides: object) -> CourierLocation:
    fields: dict[str, object] = {
        "lat": 30.2741,
        "lng": 120.1551,
        "accuracy_m": 12.0,
        "recorded_at": timezone.now() - timedelta(seconds=2),
    }
    fields.update(overrides)
    return location_record(ctx=ctx, **fields)  # type: ignore[arg-type]


def test_a_courier_ping_is_kept_with_our_receive_time(courier) -> None:
    c, person = courier
    loc = _ping(person.ctx)
    saved = CourierLocation.objects.get(pk=loc.pk)
    assert (saved.courier_id, saved.device_id, saved.lat, saved.lng, saved.accuracy_m) == (
        c.pk,
        person.ctx.device_id,
        30.2741,
        120.1551,
        12.0,
    )
    assert abs((saved.received_at - timezone.now()).total_seconds()) < 5


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"lat": 91.0}, "invalid_coordinates", None),
        ({"lng": -180.5}, "invalid_coordinates", None),
        ({"lat": float("nan")}, "invalid", "lat"),
        ({"lng": float("inf")}, "invalid", "lng"),
        ({"accuracy_m": -1.0}, "invalid", "accuracy_m"),
        ({"accuracy_m": 50_000.0}, "invalid", "accuracy_m"),
        ({"lat": True}, "invalid", "lat"),
        ({"recorded_at": datetime(2026, 11, 24, 10, 0)}, "invalid", "recorded_at"),  # noqa: DTZ001 - naive on purpose
        ({"recorded_at": datetime.now(UTC) + timedelta(hours=1)}, "time_out_of_range", "recorded_at"),
        ({"recorded_at": datetime.now(UTC) - timedelta(days=2)}, "time_out_of_range", "recorded_at"),
    ],
)
def test_bad_fixes_are_refused_with_their_code(courier, overrides, code, field) -> None:
    with pytest.raises(DomainError) as exc:
        _ping(courier[1].ctx, **overrides)
    assert exc.value.code == code
    assert exc.value.details.get("field") == field
    assert not CourierLocation.objects.exists()


def test_only_couriers_report_locations(supervisor, admin) -> None:
    for person in (supervisor, admin):
        with pytest.raises(DomainError) as exc:
            _ping(person.ctx)
        assert exc.value.code == "wrong_role"


def test_one_ping_per_device_every_five_seconds(courier) -> None:
    c, person = courier
    _ping(person.ctx)
    with pytest.raises(DomainError) as exc:
        _ping(person.ctx)
    assert exc.value.code == "rate_limited"
    assert 0 < exc.value.details["retry_after_s"] <= 5
    other_device = Ctx(actor=person.principal, device_id="second-phone")
    _ping(other_device)  # the limit is per device
    CourierLocation.objects.filter(device_id=person.ctx.device_id).update(
        received_at=timezone.now() - timedelta(seconds=6)
    )
    _ping(person.ctx)  # and it passes after the interval
    assert CourierLocation.objects.filter(courier=c).count() == 3


def test_the_purge_forgets_pings_older_than_the_retention(courier, settings) -> None:
    settings.PARCELRUN_LOCATION_MIN_INTERVAL_S = 0
    c, person = courier
    old, fresh = _ping(person.ctx), _ping(person.ctx)
    CourierLocation.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=25))
    assert locations_purge(batch=1) == 1
    assert list(CourierLocation.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert (
        purge_old_locations.apply().get() == 0
    )  # the Celery task calls the same service; a rerun is a no-op
