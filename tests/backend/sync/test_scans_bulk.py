"""Set-based station scans follow scan()'s rules: one event and one feed row per scan."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.shipments.models import FeedEntry, Shipment, TrackingEvent
from backend.shipments.services import scan
from backend.shipments.services.scans_bulk import ScanInput, scans_record_bulk
from parcelkit.uuid7 import uuid7
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db


def _scan(tracking_no: str, kind: str) -> ScanInput:
    return ScanInput(key=str(uuid7()), tracking_no=tracking_no, scan_kind=kind, event_at=timezone.now())


def test_bulk_scans_move_statuses_in_order_and_keep_facts(station, supervisor) -> None:
    a, b = (make_job(station, supervisor.ctx).shipment for _ in range(2))
    scans = [
        _scan(a.tracking_no, "station_in"),
        _scan(a.tracking_no, "loaded_out"),
        _scan(b.tracking_no, "sorted"),
        _scan(b.tracking_no, "loaded_out"),
    ]
    before = FeedEntry.objects.count()
    out = scans_record_bulk(scans=scans, actor=supervisor.principal, device_id="belt-1")
    assert [(o.code, o.status_unchanged) for o in out] == [("", False), ("", False), ("", False), ("", True)]
    assert Shipment.objects.get(pk=a.pk).status == "out_for_delivery"
    assert Shipment.objects.get(pk=b.pk).status == "created"
    events = list(TrackingEvent.objects.filter(idempotency_key__in=[s.key for s in scans]).order_by("pk"))
    assert [(e.kind, e.status_after) for e in events] == [
        ("station_in", "at_station"),
        ("loaded_out", "out_for_delivery"),
        ("sorted", "created"),
        ("loaded_out", "created"),
    ]
    rows = list(FeedEntry.objects.filter(cursor__gt=0).order_by("cursor"))[before:]
    assert [r.payload["status"] for r in rows] == ["at_station", "out_for_delivery", "created", "created"]
    assert [r.payload["scan"]["event_id"] for r in rows] == [e.pk for e in events]
    assert rows[-1].payload == {
        "shipment_id": b.pk,
        "tracking_no": b.tracking_no,
        "status": "created",
        "scan": {"kind": "loaded_out", "event_id": events[-1].pk},
    }
    single = scan(tracking_no=b.tracking_no, scan_kind="sorted", ctx=supervisor.ctx)  # the one-scan service
    last = FeedEntry.objects.order_by("-cursor").first()
    assert last is not None and last.payload == {
        **rows[-1].payload,
        "scan": {"kind": "sorted", "event_id": single.pk},
    }
    cursors = [r.cursor for r in rows]
    assert cursors == list(range(cursors[0], cursors[0] + 4))


def test_bulk_scans_refuse_bad_ones_and_replays_without_writing(
    station, other_station, supervisor, other_supervisor
) -> None:
    ours = make_job(station, supervisor.ctx).shipment
    theirs = make_job(other_station, other_supervisor.ctx).shipment
    good = _scan(ours.tracking_no, "station_in")
    scans = [
        good,
        _scan("PR000000000000", "station_in"),
        _scan("bogus", "sorted"),
        _scan(theirs.tracking_no, "sorted"),
        _scan(ours.tracking_no, "teleported"),
    ]
    out = scans_record_bulk(scans=scans, actor=supervisor.principal, device_id="belt-1")
    assert [o.code for o in out] == ["", "not_found", "invalid_tracking_no", "permission_denied", "invalid"]
    events = TrackingEvent.objects.count()
    again = scans_record_bulk(scans=[good], actor=supervisor.principal, device_id="belt-1")
    assert [(o.code, o.duplicate) for o in again] == [("duplicate_operation", True)]
    assert TrackingEvent.objects.count() == events
