"""What the courier does, recorded on the handheld: the API the screens call. Plain Python.

Each action checks what can be checked offline (the job is mine and still open, the tracking
number's check digit, the reason code is known), then stores the op and updates the local view in
one transaction (outbox.append). Nothing here waits for the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mobile.i18n import N_
from mobile.offline import outbox
from mobile.offline.store import Store
from parcelkit import ops
from parcelkit.ops import SCAN_KINDS
from parcelkit.rules.tracking import is_valid_tracking_no, normalise

ATTACHMENT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
MAX_ATTACHMENT = 8 * 1024 * 1024
_DONE = frozenset({"completed", "failed", "cancelled"})


class ActionError(Exception):
    """Refused on the handheld before anything was stored; ``code`` matches the server's codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Actions:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.clock = clock

    def _open_job(self, job_id: int, kind: str | None = None) -> dict[str, Any]:
        job = self.store.job(job_id)
        if job is None:
            raise ActionError("not_assigned_to_you", f"job {job_id} is not on this handheld")
        if job["status"] in _DONE:
            raise ActionError("invalid_transition", f"job {job_id} is already {job['status']}")
        if kind is not None and job["kind"] != kind:
            raise ActionError("wrong_job_kind", f"job {job_id} is a {job['kind']}")
        return job

    def _job_op(self, kind: str, job_id: int, payload: dict[str, Any], where: dict[str, float] | None) -> str:
        return outbox.append(
            self.store,
            kind=kind,
            job_id=job_id,
            event_at=self.clock(),
            payload=ops.job_payload(job_id, payload, where),
        )

    def _attach(self, files: list[tuple[bytes, str]]) -> list[str]:
        shas = []
        for data, content_type in files:
            if content_type not in ATTACHMENT_TYPES or not 0 < len(data) <= MAX_ATTACHMENT:
                raise ActionError(
                    "attachment_type_not_allowed", "photos and signatures: PNG/JPEG/WebP up to 8 MB"
                )
            sha = hashlib.sha256(data).hexdigest()
            self.store.put_attachment(sha, content_type, data)
            shas.append(sha)
        return shas

    def record_scan(self, tracking_no: str, scan_kind: str, where: dict[str, float] | None = None) -> str:
        number = normalise(tracking_no)
        if not is_valid_tracking_no(number):
            raise ActionError("invalid_tracking_no", f"{tracking_no!r} is not a valid tracking number")
        if scan_kind not in SCAN_KINDS:
            raise ActionError("invalid", f"unknown scan kind {scan_kind!r}")
        return outbox.append(
            self.store,
            kind="scan",
            event_at=self.clock(),
            payload=ops.scan_payload(number, scan_kind, where),
        )

    def record_accept(self, job_id: int, where: dict[str, float] | None = None) -> str:
        self._open_job(job_id)
        return self._job_op("accept", job_id, {}, where)

    def record_start(self, job_id: int, where: dict[str, float] | None = None) -> str:
        self._open_job(job_id)
        return self._job_op("start", job_id, {}, where)

    def record_arrive(self, job_id: int, where: dict[str, float] | None = None) -> str:
        self._open_job(job_id)
        return self._job_op("arrive", job_id, {}, where)

    def record_deliver(
        self,
        job_id: int,
        proof: dict[str, Any],
        files: list[tuple[bytes, str]] | None = None,
        where: dict[str, float] | None = None,
    ) -> str:
        self._open_job(job_id, "delivery")
        with self.store.tx():  # the images and the op land together, or not at all
            shas = self._attach(files or [])
            return self._job_op("deliver", job_id, ops.deliver_fields(proof, shas), where)

    def record_fail(
        self,
        job_id: int,
        reason_code: str,
        note: str = "",
        next_step: dict[str, Any] | None = None,
        photos: list[tuple[bytes, str]] | None = None,
        where: dict[str, float] | None = None,
    ) -> str:
        self._open_job(job_id)
        known = self.store.reference("reason_codes")
        if known is not None and reason_code not in {r["code"] for r in known}:
            raise ActionError("unknown_reason_code", f"{reason_code!r} is not a known reason code")
        with self.store.tx():
            shas = self._attach(photos or [])
            return self._job_op(
                "fail", job_id, ops.fail_fields(reason_code, note, next_step or {}, shas), where
            )

    def record_weigh(
        self,
        job_id: int,
        pickup: dict[str, Any],
        where: dict[str, float] | None = None,
        photos: list[tuple[bytes, str]] | None = None,
    ) -> str:
        """The pickup; ``photos``: the contents photo (its hash is in ``pickup``), uploaded with the op."""
        self._open_job(job_id, "pickup")
        with self.store.tx():
            self._attach(photos or [])
            return self._job_op("weigh", job_id, pickup, where)

    def record_propose(self, job_id: int, window_start: datetime, window_end: datetime) -> str:
        """Propose a time to the customer (docs/negotiation.md); shown at once as waiting for the answer.

        A failed delivery may be proposed a new time too; the server checks again when it arrives
        (a time that has passed by then is refused with ``invalid_time_window``).
        """
        job = self.store.job(job_id)
        if job is None:
            raise ActionError("not_assigned_to_you", f"job {job_id} is not on this handheld")
        if job["kind"] != "delivery":
            raise ActionError("wrong_job_kind", f"job {job_id} is a {job['kind']}")
        if job["status"] in ("completed", "cancelled"):
            raise ActionError("invalid_transition", f"job {job_id} is already {job['status']}")
        if window_start.tzinfo is None or not self.clock() < window_start < window_end:
            raise ActionError("invalid_time_window", N_("Propose a time that is still ahead"))
        fields = ops.propose_fields(window_start.isoformat(), window_end.isoformat())
        return self._job_op("propose", job_id, fields, None)

    def record_incident(
        self,
        incident_type: str,
        description: str,
        photos: list[tuple[bytes, str]] | None = None,
        job_id: int | None = None,
        where: dict[str, float] | None = None,
    ) -> str:
        """Report an incident (docs/incidents.md): about one of my jobs, or none (an accident on the
        road). Stored with its photos at once; the server checks the playbook's evidence when it
        arrives (``evidence_missing``). It does not change the job's local view."""
        if incident_type not in ops.INCIDENT_TYPES:
            raise ActionError("invalid", f"unknown incident type {incident_type!r}")
        if job_id is not None and self.store.job(job_id) is None:
            raise ActionError("not_assigned_to_you", f"job {job_id} is not on this handheld")
        with self.store.tx():
            shas = self._attach(photos or [])
            payload = ops.incident_payload(
                incident_type, description.strip(), shas, job_id=job_id, where=where
            )
            # No outbox job id: an incident is no step of the job, so its local view is not rebuilt.
            return outbox.append(self.store, kind="incident", event_at=self.clock(), payload=payload)

    def record_location(self, lat: float, lng: float, accuracy_m: float | None = None) -> str:
        payload = ops.location_payload(lat, lng, accuracy_m)
        return outbox.append(self.store, kind="location", event_at=self.clock(), payload=payload)

    def record_call(
        self, job_id: int, duration_s: int, outcome: str, *, called_at: datetime | None = None
    ) -> str:
        """A call to the job's customer; ``called_at`` is when it was dialled (the op's event time)."""
        if self.store.job(job_id) is None:
            raise ActionError("not_assigned_to_you", f"job {job_id} is not on this handheld")
        return outbox.append(
            self.store,
            kind="call_log",
            job_id=job_id,
            event_at=called_at or self.clock(),
            payload=ops.job_payload(job_id, ops.call_log_fields(duration_s, outcome), None),
        )
