"""Pull: the changes in a device's scope after its cursor, shaped so the device only upserts/removes.

A fixed number of queries whatever the number of jobs: the counter, one feed query (or one jobs
query for a first pull), and the reference lists. Cursors are commit-ordered (shipments/feed.py),
so "every entry with cursor > mine" never skips an entry that commits late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.db.models import Q
from django.utils import timezone

from backend.accounts.roles import Principal, Role
from backend.common.errors import DomainError
from backend.negotiation.models import Negotiation
from backend.negotiation.snapshots import negotiation_courier_view, negotiation_snapshot
from backend.shipments.courier_view import courier_job, courier_shipment
from backend.shipments.models import FeedCounter, FeedEntry, Job
from backend.shipments.selectors import courier_job_kinds
from backend.shipments.snapshots import JOB_COLUMNS, SNAPSHOT_COLUMNS, job_snapshot
from backend.shipments.transitions import JOB_OPEN
from backend.sync.attachments import AttachmentState, clean_sha256
from backend.sync.models import Attachment, AttachmentRef
from backend.sync.reference import reference_changed

MAX_LIMIT = 1000
_JOB_FIELDS = (*JOB_COLUMNS, "shipment_id")
SCOPE_DAYS = 2  # a first pull brings open jobs plus those of the last two service days


@dataclass(frozen=True)
class PullPage:
    cursor: int
    more: bool
    changes: list[dict[str, Any]]
    reference: dict[str, dict[str, Any]]
    reset: bool = False


def committed_cursor() -> int:
    """The highest cursor whose transaction has committed: every cursor below it is visible too."""
    value = FeedCounter.objects.filter(pk=1).values_list("value", flat=True).first()
    return int(value or 0)


def pull_changes(
    *, principal: Principal, after: int | None, limit: int, held_refs: dict[str, str]
) -> PullPage:
    """``after=None`` asks for a snapshot of the scope (a first pull, or after ``reset``)."""
    if (after is not None and after < 0) or not 1 <= limit <= MAX_LIMIT:
        raise DomainError("invalid", f"cursor must be ≥ 0 and limit 1–{MAX_LIMIT}")
    head = committed_cursor()
    reset = after is not None and after > head  # the server's data was restored from an older backup
    if reset:
        after = None
    if principal.role is Role.COURIER and principal.courier_id is not None:
        if after is None:
            page = _bootstrap(principal.courier_id, head)
        else:
            page = _courier_changes(principal.courier_id, after, limit)
    elif principal.role is Role.SUPERVISOR and principal.station_id is not None:
        page = _station_changes(principal.station_id, after or 0, limit)
    else:
        raise DomainError("wrong_role", "only couriers and station staff pull changes")
    return PullPage(page.cursor, page.more, page.changes, reference_changed(held_refs), reset)


def _bootstrap(courier_id: int, head: int) -> PullPage:
    # ``head`` was read before the jobs: anything committed after it comes again on the next pull,
    # which is harmless because a change is a whole snapshot.
    since = timezone.localdate() - timedelta(days=SCOPE_DAYS)
    ship_cols = [f"shipment__{c}" for c in SNAPSHOT_COLUMNS]
    rows = (
        Job.objects.filter(Q(status__in=JOB_OPEN) | Q(service_date__gte=since), courier_id=courier_id)
        .order_by("pk")
        .values_list(*_JOB_FIELDS, *ship_cols)  # one join; plain rows, no model instances
    )
    n = len(_JOB_FIELDS)
    changes: list[dict[str, Any]] = [{"op": "snapshot"}]
    for row in rows:
        # job_snapshot reads attributes: a namespace per row costs a fraction of two model instances.
        job = SimpleNamespace(**dict(zip(_JOB_FIELDS, row[:n], strict=True)))
        job.pk = job.id
        job.shipment = SimpleNamespace(**dict(zip(SNAPSHOT_COLUMNS, row[n:], strict=True)))
        job.shipment.pk = job.shipment.id
        # A namespace with Job's columns stands in for the model: job_snapshot only reads attributes.
        changes.append({"c": head, "op": "job", "job": courier_job(job_snapshot(job))})  # type: ignore[arg-type]
    changes += _latest_negotiations([c["job"]["id"] for c in changes[1:]], head)
    return PullPage(head, False, changes, {})


def _latest_negotiations(job_ids: list[int], head: int) -> list[dict[str, Any]]:
    """Each job's latest negotiation (open or closed: the banner shows an answer too); one query."""
    if not job_ids:
        return []
    latest: dict[int, Negotiation] = {}
    for n in Negotiation.objects.filter(job_id__in=job_ids).order_by("job_id", "pk"):
        latest[n.job_id] = n
    return [
        {"c": head, "op": "negotiation", "negotiation": negotiation_courier_view(negotiation_snapshot(n))}
        for n in latest.values()
    ]


def _courier_changes(courier_id: int, after: int, limit: int) -> PullPage:
    mine = Job.objects.filter(courier_id=courier_id).values("shipment_id")
    entries = list(
        FeedEntry.objects.filter(
            Q(courier_id=courier_id) | Q(prev_courier_id=courier_id) | Q(shipment_id__in=mine),
            cursor__gt=after,
        )
        .exclude(kind="job.eta")  # a delivery's new ETA for the customer's page only
        .order_by("cursor")
        .values_list("cursor", "courier_id", "prev_courier_id", "job_id", "payload", "shipment_id")[:limit]
    )
    # The side of a shipment a courier sees depends on their job's kind on it (courier_view.py):
    # one query for the shipments of rows that are not their own job's snapshot.
    others = [
        sid for _c, to, _p, job_id, payload, sid in entries if not (payload.get("job") and to == courier_id)
    ]
    kinds = courier_job_kinds(courier_id=courier_id, shipment_ids=set(others)) if others else {}
    changes: list[dict[str, Any]] = []
    for cursor, to, prev, job_id, payload, shipment_id in entries:
        if "route" in payload:  # a re-plan: one row for the route, a job change per job
            changes += _route_jobs(courier_id, cursor, payload["route"])
            continue
        job = payload.get("job")
        if job is not None and to == courier_id:
            changes.append({"c": cursor, "op": "job", "job": courier_job(job)})
        elif job is not None and prev == courier_id:
            changes.append({"c": cursor, "op": "revoke", "job_id": job_id})
        elif job is not None:  # someone else's job on a shipment I also hold
            shipment = courier_shipment(job["shipment"], kinds.get(shipment_id, ()))
            changes.append({"c": cursor, "op": "shipment", "shipment": shipment})
        elif "negotiation" in payload:
            if to == courier_id:  # not another courier's question on a shipment I also hold
                view = negotiation_courier_view(payload["negotiation"])
                changes.append({"c": cursor, "op": "negotiation", "negotiation": view})
        elif "shipment" in payload:
            shipment = courier_shipment(payload["shipment"], kinds.get(shipment_id, ()))
            changes.append({"c": cursor, "op": "shipment", "shipment": shipment})
        elif (
            "scan" in payload
        ):  # a scan carries the status it left, not the snapshot (snapshots.scan_payload)
            changes.append(
                {
                    "c": cursor,
                    "op": "shipment_status",
                    "shipment_id": payload["shipment_id"],
                    "status": payload["status"],
                }
            )
    cursor = entries[-1][0] if entries else after
    return PullPage(cursor, len(entries) == limit, changes, {})


def _route_jobs(courier_id: int, cursor: int, route: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``route.planned`` row as the handheld applies it: each moved job's snapshot as of now (a
    change is a whole snapshot, and a newer one is harmless), for the jobs still the courier's; a
    job moved away since has its revocation later in the feed."""
    ids = [j["id"] for j in route.get("jobs", [])]
    jobs = Job.objects.filter(pk__in=ids, courier_id=courier_id).select_related("shipment").order_by("pk")
    return [{"c": cursor, "op": "job", "job": courier_job(job_snapshot(job))} for job in jobs]


def _station_changes(station_id: int, after: int, limit: int) -> PullPage:
    entries = list(
        FeedEntry.objects.filter(station_id=station_id, cursor__gt=after)
        .order_by("cursor")
        .values_list("cursor", "kind", "payload")[:limit]
    )
    changes = [{"c": c, "op": "entry", "kind": k, "payload": p} for c, k, p in entries]
    return PullPage(entries[-1][0] if entries else after, len(entries) == limit, changes, {})


def attachment_get(*, user_id: int, sha256: str) -> AttachmentState:
    """A complete attachment (anyone's: its bytes were checked against the hash), or the caller's
    own upload in progress; someone else's unfinished upload is not found."""
    clean_sha256(sha256)
    attachment = (
        Attachment.objects.filter(sha256=sha256, complete=True).first()
        or Attachment.objects.filter(sha256=sha256, created_by_id=user_id, complete=False).first()
    )
    if attachment is None:
        raise DomainError("not_found", "no such attachment; announce it first")
    return AttachmentState(attachment.sha256, attachment.size, attachment.received, attachment.complete)


def proof_missing(job_id: int) -> list[str]:
    """Attachments a job's proof names that have not arrived yet (empty: the proof is complete)."""
    return sorted(
        AttachmentRef.objects.filter(job_id=job_id, fulfilled_at=None).values_list("sha256", flat=True)
    )


def proofs_awaiting_media(*, station_id: int, named_before: datetime) -> dict[int, list[str]]:
    """Per job of the station, the attachments its proof named before ``named_before`` that have
    not arrived (``proof_missing`` for a whole station, in one query)."""
    missing: dict[int, list[str]] = {}
    rows = AttachmentRef.objects.filter(
        job__station_id=station_id, fulfilled_at=None, created_at__lt=named_before
    ).order_by("job_id", "sha256")
    for job_id, sha256 in rows.values_list("job_id", "sha256"):
        missing.setdefault(job_id, []).append(sha256)
    return missing
