"""The client core against the real API in-process: a courier's offline day reaches the server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.shipments.models import Job, TrackingEvent
from backend.shipments.services import job_assign
from mobile.actions import Actions
from mobile.offline import outbox
from mobile.offline.store import Store
from mobile.offline.sync import SyncEngine
from tests.backend.sync.helpers import device_of, ready_job
from tests.mobile.offline.fakes import DjangoTransport

pytestmark = pytest.mark.django_db

PROOF = {"method": "signature", "recipient_relation": "self", "recipient_name": "李四"}
PNG = b"\x89PNG\r\n\x1a\n" + b"signature" * 100


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def _handheld(tmp_path: Path, person) -> tuple[Store, SyncEngine, DjangoTransport]:
    store = Store(str(tmp_path / f"{person.user.pk}.sqlite3"), device_id=device_of(person))
    transport = DjangoTransport(person.token)
    return store, SyncEngine(store, transport), transport


def _server_view(courier_id: int) -> dict[int, tuple[str, int, str]]:
    return {
        j.pk: (j.status, j.version, j.shipment.status)
        for j in Job.objects.filter(courier_id=courier_id).select_related("shipment")
    }


def _local_view(store: Store) -> dict[int, tuple[str, int, str]]:
    return {j["id"]: (j["status"], j["version"], j["shipment"]["status"]) for j in store.jobs()}


def test_an_offline_day_drains_and_the_handheld_ends_equal_to_the_server(
    tmp_path, station, courier, supervisor
) -> None:
    mine, me = courier
    jobs = [ready_job(station, supervisor, mine) for _ in range(4)]
    store, engine, transport = _handheld(tmp_path, me)
    engine.sync_once()
    assert set(store.job_ids()) == {j.pk for j in jobs}
    transport.offline = True
    actions = Actions(store)
    for j in jobs[:3]:
        actions.record_start(j.pk)
    actions.record_deliver(jobs[0].pk, PROOF, files=[(PNG, "image/png")])
    actions.record_fail(jobs[1].pk, "not_home", next_step={"kind": "retry"})
    actions.record_location(30.2, 120.1)
    assert engine.pending_count == 6
    transport.offline = False
    report = engine.sync_once()
    assert (report.pushed, report.rejected, report.uploaded) == (6, 0, 1)
    assert engine.pending_count == 0
    assert _local_view(store) == _server_view(mine.pk)
    assert (
        TrackingEvent.objects.filter(idempotency_key__in=[o.op_id for o in outbox.all_ops(store)]).count()
        == 5
    )


def test_a_reassignment_race_ends_with_the_offline_delivery_standing(
    tmp_path, station, courier, other_courier, supervisor
) -> None:
    (mine, me), (theirs, them) = courier, other_courier
    job = ready_job(station, supervisor, mine)
    store, engine, transport = _handheld(tmp_path, me)
    their_store, their_engine, _ = _handheld(tmp_path, them)
    engine.sync_once()
    transport.offline = True
    Actions(store).record_start(job.pk)
    Actions(store, clock=lambda: datetime.now(UTC)).record_deliver(job.pk, PROOF, files=[(PNG, "image/png")])
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    their_engine.sync_once()
    assert their_store.job_ids() == [job.pk]
    transport.offline = False
    engine.sync_once()
    their_engine.sync_once()
    assert their_store.job_ids() == []
    # the start was refused (the job was no longer mine when it arrived); the delivery stands
    assert [(o.kind, o.state, o.code) for o in outbox.all_ops(store)] == [
        ("start", "rejected", "not_assigned_to_you"),
        ("deliver", "applied", ""),
    ]
    assert (
        _local_view(store) == _server_view(mine.pk) == {job.pk: ("completed", job.version + 2, "delivered")}
    )


def test_a_start_refused_after_a_reassignment_is_shown_and_kept(
    tmp_path, station, courier, other_courier, supervisor
) -> None:
    (mine, me), (theirs, _) = courier, other_courier
    job = ready_job(station, supervisor, mine)
    store, engine, transport = _handheld(tmp_path, me)
    engine.sync_once()
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    op_id = Actions(store).record_start(job.pk)
    engine.sync_once()
    assert [(o.op_id, o.code) for o in outbox.rejected(store)] == [(op_id, "not_assigned_to_you")]
    assert store.job_ids() == []


def test_an_upload_over_the_quota_waits_for_the_next_round_without_breaking_it(
    tmp_path, station, courier, supervisor, settings
) -> None:
    """The server's 413 attachment_quota_exceeded (issue 16) is not an offset to resume from: the
    round goes on (ops pushed, changes pulled) and the file is sent once there is room."""
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    store, engine, _ = _handheld(tmp_path, me)
    engine.sync_once()
    Actions(store).record_start(job.pk)
    Actions(store).record_deliver(job.pk, PROOF, files=[(PNG, "image/png")])
    settings.PARCELRUN_UPLOAD_QUOTA_BYTES = len(PNG) - 1
    report = engine.sync_once()
    assert (report.pushed, report.uploaded) == (2, 0)
    settings.PARCELRUN_UPLOAD_QUOTA_BYTES = 32 * 1024 * 1024
    assert engine.sync_once().uploaded == 1
