"""A synced scan's tracking event is its op-log entry: no AppliedOp row, replays still exact."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from backend.shipments.models import TrackingEvent
from backend.shipments.services import scans_bulk
from backend.shipments.services.scans_bulk import ScanInput, scans_record_bulk
from backend.sync import oplog
from backend.sync.models import AppliedOp
from backend.sync.ops import parse_op
from tests.backend.sync.helpers import device_of, op, outcomes, push
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db


def _scan(person, tracking_no: str, kind: str = "station_in", **extra):
    return op(person, "scan", {"tracking_no": tracking_no, "scan_kind": kind, **extra})


def test_an_applied_scan_is_recorded_once_as_its_event_and_replays_as_a_duplicate(
    station, supervisor
) -> None:
    parcel = make_job(station, supervisor.ctx).shipment
    first = _scan(supervisor, parcel.tracking_no, "sorted")
    late = _scan(supervisor, parcel.tracking_no, "sorted")
    # Never scanned in: it cannot be loaded out, and the scan is kept as a fact anyway.
    back = _scan(supervisor, parcel.tracking_no, "loaded_out")
    push(supervisor, [first, late])
    body = push(supervisor, [back])
    assert body["results"][0] == {"op_id": back["op_id"], "outcome": "applied", "status_unchanged": True}
    ids = [first["op_id"], late["op_id"], back["op_id"]]
    assert not AppliedOp.objects.filter(op_id__in=ids).exists()
    event = TrackingEvent.objects.get(idempotency_key=first["op_id"])
    assert event.op_hash == parse_op(0, first, device_of(supervisor)).payload_hash  # type: ignore[union-attr]

    again = push(supervisor, [first, late, back])["results"]
    assert [(r["outcome"], r["original"], r.get("status_unchanged")) for r in again] == [
        ("duplicate", "applied", None),
        ("duplicate", "applied", None),
        ("duplicate", "applied", True),
    ]
    assert TrackingEvent.objects.filter(idempotency_key__in=ids).count() == 3
    assert oplog.outcomes(ids) == dict.fromkeys(ids, "applied")


def test_a_scan_replayed_with_another_payload_is_refused(station, supervisor) -> None:
    a, b = (make_job(station, supervisor.ctx).shipment for _ in range(2))
    original = _scan(supervisor, a.tracking_no)
    push(supervisor, [original])
    changed = {**original, "payload": {"tracking_no": b.tracking_no, "scan_kind": "station_in"}}
    assert outcomes(push(supervisor, [changed])) == [("rejected", "op_id_reused")]
    assert not TrackingEvent.objects.filter(shipment=b, kind="station_in").exists()


def test_a_rejected_scan_keeps_its_reason_in_the_op_log(station, supervisor) -> None:
    nowhere = _scan(supervisor, "PR000000000000")
    assert outcomes(push(supervisor, [nowhere])) == [("rejected", "not_found")]
    row = AppliedOp.objects.get(op_id=nowhere["op_id"])
    assert (row.kind, row.outcome, row.code) == ("scan", "rejected", "not_found")
    again = push(supervisor, [nowhere])["results"][0]
    assert (again["outcome"], again["original"], again["code"]) == ("duplicate", "rejected", "not_found")
    assert oplog.outcomes([nowhere["op_id"]]) == {nowhere["op_id"]: "rejected"}


def test_a_scan_recorded_by_another_push_after_the_look_up_comes_back_as_a_duplicate(
    station, supervisor, monkeypatch
) -> None:
    parcel = make_job(station, supervisor.ctx).shipment
    scan = _scan(supervisor, parcel.tracking_no)
    parsed = parse_op(0, scan, device_of(supervisor))
    # The same op id recorded elsewhere, as a push from another device would (new ops skip the look-up).
    scans_record_bulk(
        scans=[
            ScanInput(
                key=scan["op_id"],
                tracking_no=parcel.tracking_no,
                scan_kind="station_in",
                event_at=timezone.now(),
                op_hash=parsed.payload_hash,
            )
        ],
        actor=supervisor.principal,
        device_id="other-device",
    )
    calls: list[bool] = []
    real = scans_bulk.scans_record_bulk

    def spy(**kwargs):
        calls.append(kwargs["checked"])
        return real(**kwargs)

    monkeypatch.setattr("backend.sync.services.push.scans_record_bulk", spy)
    result = push(supervisor, [scan])["results"][0]
    assert (result["outcome"], result["original"]) == ("duplicate", "applied")
    assert TrackingEvent.objects.filter(idempotency_key=scan["op_id"]).count() == 1
    if connection.vendor == "postgresql":
        # New ops are not looked up: the insert met the key, the push ran again and looked it up.
        assert calls == [True]
    else:  # SQLite looks every op up first
        assert calls == []


def test_an_unknown_scan_kind_names_the_kinds_a_client_can_send() -> None:
    """Issue 16: the message listed Python's enum names (``<EventKind.STATION_IN: …>``)."""
    from backend.common.errors import DomainError
    from backend.shipments.scan_rules import scan_input_check
    from parcelkit.rules.tracking import make_tracking_no

    with pytest.raises(DomainError) as exc:
        scan_input_check(make_tracking_no(1), "teleported")
    assert exc.value.message == "unknown scan kind 'teleported'; use one of: loaded_out, sorted, station_in"
