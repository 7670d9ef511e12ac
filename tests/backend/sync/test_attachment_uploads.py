"""Uploads belong to their uploader, are bounded by a quota, expire when abandoned, and a proof whose
image never arrives reaches the supervisor (issue 16). Each test fails on the code before the fix:
one shared row per hash, no quota, no expiry, and ``proof_missing`` with no caller."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from backend.exceptions.items import QueueSettings
from backend.exceptions.kinds import ExceptionKind
from backend.exceptions.selectors import exception_queue
from backend.sync.models import Attachment, AttachmentChunk
from backend.sync.tasks import expire_abandoned_uploads
from tests.backend.sync.helpers import op, proof, push, ready_job
from tests.clock import station_tz
from tests.fixtures.people import make_courier

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
SHA = hashlib.sha256(PNG).hexdigest()
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(station_tz()))


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def begin(person, size: int = len(PNG), sha: str = SHA):
    body = {"sha256": sha, "size": size, "content_type": "image/png"}
    return APIClient().post("/api/v1/sync/attachments", body, format="json", **person.auth)


def put(person, offset: int, chunk: bytes, sha: str = SHA):
    return APIClient().put(
        f"/api/v1/sync/attachments/{sha}/chunks?offset={offset}",
        chunk,
        content_type="application/octet-stream",
        **person.auth,
    )


def test_another_user_can_neither_reset_nor_block_my_upload(station, courier) -> None:
    _, me = courier
    _, other = make_courier(station)
    assert begin(me).status_code == 200
    assert put(me, 0, PNG[:4000]).json()["received"] == 4000

    # A wrong chunk from someone else would have made the hash fail and reset my upload to 0.
    theirs = put(other, 4000, b"x" * (len(PNG) - 4000))
    assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")
    mine = APIClient().get(f"/api/v1/sync/attachments/{SHA}", **me.auth).json()
    assert mine["received"] == 4000
    assert APIClient().get(f"/api/v1/sync/attachments/{SHA}", **other.auth).status_code == 404

    # Announcing my hash with another size no longer blocks me (it was "announced with size …").
    assert begin(other, size=999).status_code == 200
    assert put(me, 4000, PNG[4000:]).json()["complete"] is True
    assert begin(other, size=999).json()["complete"] is True  # complete bytes serve everyone
    assert list(Attachment.objects.values_list("complete", flat=True)) == [True]


def test_bytes_in_progress_are_bounded_per_user(station, courier, settings) -> None:
    settings.PARCELRUN_UPLOAD_QUOTA_BYTES = len(PNG) + 100
    _, me = courier
    _, other = make_courier(station)
    assert begin(me).status_code == 200
    second = hashlib.sha256(b"second").hexdigest()
    refused = begin(me, size=200, sha=second)
    assert (refused.status_code, refused.json()["code"]) == (413, "attachment_quota_exceeded")
    assert refused.json()["details"] == {"in_progress": len(PNG), "quota": len(PNG) + 100}
    assert begin(other, size=200, sha=second).status_code == 200  # the quota is per user
    assert put(me, 0, PNG).json()["complete"] is True
    assert begin(me, size=200, sha=second).status_code == 200  # finished bytes no longer count


def test_an_abandoned_upload_is_dropped_by_the_beat_task(station, courier, settings) -> None:
    settings.PARCELRUN_UPLOAD_ABANDON_HOURS = 24
    _, me = courier
    _, other = make_courier(station)
    with time_machine.travel(T0, tick=False):
        begin(me)
        put(me, 0, PNG[:4000])
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        begin(other)
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        assert expire_abandoned_uploads() == 1
    assert list(Attachment.objects.values_list("created_by_id", flat=True)) == [other.user.pk]
    assert not AttachmentChunk.objects.exists()
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        assert begin(me).json()["received"] == 0  # the handheld starts again


def test_a_signature_that_never_arrives_becomes_a_supervisors_exception(
    station, courier, supervisor, settings
) -> None:
    settings.PARCELRUN_PROOF_MEDIA_HOURS = 6
    cfg = QueueSettings(
        stale_after=timedelta(hours=24), offline_after=timedelta(minutes=10), lookback=timedelta(hours=48)
    )
    mine, me = courier
    with time_machine.travel(T0, tick=False):
        job = ready_job(station, supervisor, mine)
        proof_op = op(me, "deliver", {"job_id": job.pk, "proof": proof(media_sha256=[SHA])})
        push(me, [op(me, "start", {"job_id": job.pk}), proof_op])

    def queue(hours: float) -> list:
        now = T0 + timedelta(hours=hours)
        return exception_queue(station=station, now=now, kind=ExceptionKind.PROOF_MEDIA_MISSING, cfg=cfg)

    assert queue(5) == []  # still on its way (a handheld out of coverage)
    [item] = queue(7)
    assert (item.job_id, item.courier_id, item.tracking_no) == (job.pk, mine.pk, job.shipment.tracking_no)
    assert SHA[:12] in item.detail
    with time_machine.travel(T0 + timedelta(hours=8), tick=False):
        begin(me)
        put(me, 0, PNG)
    assert queue(9) == []
