"""Attachments: content-addressed, resumable, deduplicated; a proof completes when its bytes arrive."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from backend.shipments.models import FeedEntry
from backend.sync.attachments import storage_path
from backend.sync.selectors import proof_missing
from tests.backend.sync.helpers import op, proof, push, ready_job

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def _begin(person, blob: bytes = PNG, content_type: str = "image/png", size: int | None = None):
    return APIClient().post(
        "/api/v1/sync/attachments",
        {
            "sha256": hashlib.sha256(blob).hexdigest(),
            "size": size or len(blob),
            "content_type": content_type,
        },
        format="json",
        **person.auth,
    )


def _put(person, blob: bytes, offset: int, chunk: bytes):
    sha = hashlib.sha256(blob).hexdigest()
    return APIClient().put(
        f"/api/v1/sync/attachments/{sha}/chunks?offset={offset}",
        chunk,
        content_type="application/octet-stream",
        **person.auth,
    )


def test_a_chunked_upload_resumes_where_the_server_is(courier) -> None:
    _, me = courier
    assert _begin(me).json() == {
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "size": len(PNG),
        "received": 0,
        "complete": False,
    }
    assert _put(me, PNG, 0, PNG[:4000]).json()["received"] == 4000
    assert _put(me, PNG, 0, PNG[:4000]).json()["received"] == 4000  # a retried chunk changes nothing
    gap = _put(me, PNG, 5000, PNG[5000:6000])
    assert (gap.status_code, gap.json()["code"], gap.json()["details"]) == (
        409,
        "attachment_offset_mismatch",
        {"expected_offset": 4000},
    )
    done = _put(me, PNG, 4000, PNG[4000:])
    assert done.json()["complete"] is True
    assert storage_path(hashlib.sha256(PNG).hexdigest()).read_bytes() == PNG
    assert _begin(me).json()["complete"] is True  # the same bytes again: nothing to upload


def test_limits_and_bad_bytes_are_refused_with_clear_codes(courier) -> None:
    _, me = courier
    wrong_type = _begin(me, content_type="application/pdf")
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (415, "attachment_type_not_allowed")
    huge = _begin(me, size=9 * 1024 * 1024)
    assert (huge.status_code, huge.json()["code"]) == (413, "attachment_too_large")
    fake = b"GIF89a" + b"x" * 100
    _begin(me, fake, "image/png")
    refused = _put(me, fake, 0, fake)
    assert (refused.status_code, refused.json()["code"]) == (422, "attachment_type_mismatch")
    assert _begin(me, fake, "image/png").json()["received"] == 0


def test_a_proof_names_a_signature_that_arrives_later(station, courier, supervisor) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    sha = hashlib.sha256(PNG).hexdigest()
    body = push(
        me,
        [
            op(me, "start", {"job_id": job.pk}),
            op(me, "deliver", {"job_id": job.pk, "proof": proof(media_sha256=[sha])}),
        ],
    )
    assert body["results"][1]["attachments_missing"] == [sha]
    assert proof_missing(job.pk) == [sha]
    _begin(me)
    _put(me, PNG, 0, PNG)
    assert proof_missing(job.pk) == []
    done = FeedEntry.objects.get(kind="proof.completed")
    assert (done.job_id, done.station_id, done.payload) == (
        job.pk,
        station.pk,
        {"job_id": job.pk, "sha256": sha},
    )


def test_a_small_file_is_announced_and_sent_in_one_request(courier) -> None:
    _, me = courier
    sha = hashlib.sha256(PNG).hexdigest()
    response = APIClient().put(
        f"/api/v1/sync/attachments/{sha}/chunks?offset=0&size={len(PNG)}&content_type=image/png",
        PNG,
        content_type="application/octet-stream",
        **me.auth,
    )
    assert response.json() == {"sha256": sha, "size": len(PNG), "received": len(PNG), "complete": True}


def test_bytes_that_do_not_match_their_hash_are_refused_and_nothing_is_kept(courier) -> None:
    from backend.sync.models import AttachmentChunk

    _, me = courier
    sha = hashlib.sha256(PNG).hexdigest()
    _begin(me)
    other = PNG[:-1] + b"\x00"  # same size, other bytes, sent whole
    refused = APIClient().put(
        f"/api/v1/sync/attachments/{sha}/chunks?offset=0",
        other,
        content_type="application/octet-stream",
        **me.auth,
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "attachment_hash_mismatch")
    assert _begin(me).json()["received"] == 0
    assert not storage_path(sha).exists()
    assert not AttachmentChunk.objects.exists()
    assert _put(me, PNG, 0, PNG).json()["complete"] is True  # the right bytes then complete it
