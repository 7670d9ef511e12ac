"""Signatures and photos: content-addressed, uploaded in resumable chunks, stored once.

The handheld announces ``(sha256, size, content_type)``, then PUTs chunks at the offset the
server reports. Chunks are rows, so a chunk and the new resume point commit together and a dropped
connection at any moment leaves a consistent offset. When the last byte arrives the whole is
hashed; a mismatch discards it (the device uploads again). An op may name an attachment before it
arrives: the proof is recorded at once and becomes complete when the bytes do, and the station is
told with a ``proof.completed`` feed row.

An upload in progress belongs to whoever announced it: another user can neither send its chunks
(a reset by a wrong chunk) nor announce the same hash with another size to block it; each user
uploads their own copy until one completes, and a complete file serves everyone (its bytes were
checked against the hash). Bytes announced and not yet complete count against a per-user quota,
and uploads left unfinished are deleted after ``PARCELRUN_UPLOAD_ABANDON_HOURS``
(``attachments_expire_abandoned``, a beat task).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.images import ImageBlob
from backend.shipments import feed
from backend.shipments.models import Job
from backend.shipments.services.recording import insert
from backend.sync.attachments import MAX_CHUNK, MAX_SIZE, TYPES, AttachmentState, clean_sha256, storage_path
from backend.sync.models import Attachment, AttachmentChunk, AttachmentRef


def _state(a: Attachment) -> AttachmentState:
    return AttachmentState(a.sha256, a.size, a.received, a.complete)


def _complete(sha256: str) -> Attachment | None:
    return Attachment.objects.filter(sha256=sha256, complete=True).first()


def attachment_begin(*, user_id: int, sha256: str, size: int, content_type: str) -> AttachmentState:
    """Announce an upload. Idempotent; for bytes the server already has it answers complete at once."""
    clean_sha256(sha256)
    if content_type not in TYPES:
        raise DomainError(
            "attachment_type_not_allowed", f"{content_type!r} is not accepted; send one of {sorted(TYPES)}"
        )
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_SIZE:
        raise DomainError(
            "attachment_too_large",
            f"an attachment holds 1 byte to {MAX_SIZE // (1024 * 1024)} MB",
            max_size=MAX_SIZE,
        )
    done = _complete(sha256)
    if done is not None:  # the caller's own copy in progress, if any, is no longer needed
        Attachment.objects.filter(sha256=sha256, created_by_id=user_id, complete=False).delete()
        return _state(done)
    with transaction.atomic():
        # The user's row serialises their announcements, so two at once cannot both fit the quota.
        get_user_model().objects.select_for_update().filter(pk=user_id).first()
        own = Attachment.objects.filter(sha256=sha256, created_by_id=user_id, complete=False).first()
        if own is not None:
            if own.size != size:
                raise DomainError("invalid", f"you announced this attachment with size {own.size}")
            return _state(own)
        quota = settings.PARCELRUN_UPLOAD_QUOTA_BYTES
        open_bytes = Attachment.objects.filter(created_by_id=user_id, complete=False).aggregate(
            n=Coalesce(Sum("size"), 0)
        )["n"]
        if open_bytes + size > quota:
            raise DomainError(
                "attachment_quota_exceeded",
                f"your unfinished uploads hold {open_bytes} of {quota} bytes: finish them first "
                f"(unfinished uploads are dropped after {settings.PARCELRUN_UPLOAD_ABANDON_HOURS} h)",
                in_progress=open_bytes,
                quota=quota,
            )
        now = timezone.now()
        attachment = Attachment.objects.create(
            sha256=sha256,
            size=size,
            content_type=content_type,
            created_by_id=user_id,
            created_at=now,
            touched_at=now,
        )
    return _state(attachment)


def attachment_put_chunk(*, user_id: int, sha256: str, offset: int, data: bytes) -> AttachmentState:
    """Store ``data`` at ``offset`` of the caller's own upload. A chunk already stored is accepted
    again without change; once anyone's copy is complete, every chunk answers complete."""
    if not data or len(data) > MAX_CHUNK:
        raise DomainError(
            "attachment_too_large", f"a chunk holds 1 byte to {MAX_CHUNK // 1024} KB", max_chunk=MAX_CHUNK
        )
    clean_sha256(sha256)
    try:
        return _put_chunk(user_id, sha256, offset, data)
    except IntegrityError:
        # Another user's copy completed in the same instant (one complete row per hash).
        done = _complete(sha256)
        if done is None:
            raise
        Attachment.objects.filter(sha256=sha256, created_by_id=user_id, complete=False).delete()
        return _state(done)


def _put_chunk(user_id: int, sha256: str, offset: int, data: bytes) -> AttachmentState:
    mismatch = ""
    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update()
            .filter(sha256=sha256, created_by_id=user_id, complete=False)
            .first()
        )
        done = _complete(sha256)
        if done is not None:  # bytes someone already uploaded: the own copy is no longer needed
            if attachment is not None:
                attachment.delete()
            return _state(done)
        if attachment is None:
            raise DomainError("not_found", "no such upload of yours; announce it first")
        if offset + len(data) <= attachment.received:
            return _state(attachment)  # a retried chunk
        if offset != attachment.received:
            raise DomainError(
                "attachment_offset_mismatch",
                f"send from byte {attachment.received}",
                expected_offset=attachment.received,
            )
        if offset + len(data) > attachment.size:
            raise DomainError(
                "attachment_too_large", f"the attachment was announced as {attachment.size} bytes"
            )
        whole = offset == 0 and len(data) == attachment.size  # a signature or photo sent in one piece
        if not whole:
            AttachmentChunk.objects.create(attachment=attachment, offset=offset, data=data)
        attachment.received = offset + len(data)
        attachment.touched_at = timezone.now()
        if attachment.received == attachment.size:
            mismatch = _finish(attachment, data if whole else None)
        attachment.save(update_fields=["received", "complete", "completed_at", "touched_at"])
    if mismatch:
        raise DomainError(mismatch, "the uploaded bytes do not match the attachment; upload it again")
    return _state(attachment)


def attachments_expire_abandoned(*, now: datetime) -> int:
    """Delete uploads nobody sent a byte to for ``PARCELRUN_UPLOAD_ABANDON_HOURS`` (their chunks go
    with them); returns how many. A proof still naming one is reported by the exception queue
    (``proof_media_missing``) and the handheld may announce it again."""
    cutoff = now - timedelta(hours=settings.PARCELRUN_UPLOAD_ABANDON_HOURS)
    idle = Q(touched_at__lt=cutoff) | Q(touched_at=None, created_at__lt=cutoff)  # None: made before 0003
    stale = Attachment.objects.filter(idle, complete=False)
    _, by_model = stale.delete()
    return int(by_model.get(Attachment._meta.label, 0))


def _finish(attachment: Attachment, blob: bytes | None = None) -> str:
    """Assemble (unless the whole ``blob`` came in one request), verify, store; returns an error code
    ("" when complete). Runs holding the row lock."""
    if blob is None:
        chunks = (
            AttachmentChunk.objects.filter(attachment=attachment)
            .order_by("offset")
            .values_list("data", flat=True)
        )
        blob = b"".join(bytes(c) for c in chunks)
        AttachmentChunk.objects.filter(attachment=attachment).delete()
    if hashlib.sha256(blob).hexdigest() != attachment.sha256:
        attachment.received = 0
        return "attachment_hash_mismatch"
    if not blob.startswith(TYPES[attachment.content_type]):
        attachment.received = 0
        return "attachment_type_mismatch"
    _write(attachment.sha256, blob)
    attachment.complete = True
    attachment.completed_at = timezone.now()
    _fulfil_refs(attachment.sha256)
    return ""


def _write(sha256: str, blob: bytes) -> None:
    path = storage_path(sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)  # content-addressed: a file left by a rolled-back attempt is still right


def attachments_store_whole(blobs: Sequence[ImageBlob]) -> None:
    """Store photos received whole and already checked (a customer's complaint form): complete at
    once, with no uploader. A photo stored before (by anyone) is kept as it is. Call it inside the
    transaction that names the photos, so a refused complaint leaves no row."""
    now = timezone.now()
    for blob in blobs:
        if _complete(blob.sha256) is not None:
            continue
        _write(blob.sha256, blob.data)
        try:
            with transaction.atomic():  # a savepoint: the same photo completed at the same instant
                Attachment.objects.create(
                    sha256=blob.sha256,
                    size=len(blob.data),
                    content_type=blob.content_type,
                    received=len(blob.data),
                    complete=True,
                    created_by=None,
                    created_at=now,
                    completed_at=now,
                    touched_at=now,
                )
        except IntegrityError:
            if _complete(blob.sha256) is None:
                raise
        _fulfil_refs(blob.sha256)  # a courier's op may already name the same photo


def _fulfil_refs(sha256: str) -> None:
    now = timezone.now()
    job_ids = set(
        AttachmentRef.objects.filter(sha256=sha256, fulfilled_at=None).values_list("job_id", flat=True)
    )
    if not job_ids:  # uploaded before the op that names it: attachments_reference marks it fulfilled
        return
    AttachmentRef.objects.filter(sha256=sha256, fulfilled_at=None).update(fulfilled_at=now)
    still_missing = set(
        AttachmentRef.objects.filter(job_id__in=job_ids, fulfilled_at=None).values_list("job_id", flat=True)
    )
    for job in Job.objects.filter(pk__in=job_ids - still_missing).order_by("pk"):
        feed.append(
            "proof.completed",
            {"job_id": job.pk, "sha256": sha256},
            station_id=job.station_id,
            shipment_id=job.shipment_id,
            job_id=job.pk,
        )


def attachments_reference(*, job_id: int, op_id: str, sha256s: list[str]) -> list[str]:
    """Record that an op's proof names these attachments; returns those still to be uploaded."""
    if not sha256s:
        return []
    complete = set(
        Attachment.objects.filter(sha256__in=sha256s, complete=True).values_list("sha256", flat=True)
    )
    now = timezone.now()
    for s in dict.fromkeys(sha256s):  # with the push's other rows when a unit of work is open
        insert(
            AttachmentRef(sha256=s, job_id=job_id, op_id=op_id, fulfilled_at=now if s in complete else None)
        )
    return [s for s in dict.fromkeys(sha256s) if s not in complete]
