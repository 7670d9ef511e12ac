"""Everything a supervisor reads about one shipment: its jobs, tracking history, proofs with
their images, the negotiation log and the audit trail. A fixed number of queries.

Contacts are masked here; the page shows a full value only as the answer to an audited unmask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from backend.console.labels import label
from backend.dispatch.models import AssignmentDecision, DecisionRule
from backend.exceptions.kinds import ExceptionKind, RevealField
from backend.exceptions.selectors import resolutions_for_shipment, reveals_for_shipment
from backend.incidents.models import Incident
from backend.negotiation.models import Negotiation
from backend.negotiation.states import Channel, NegotiationState, Trigger
from backend.shipments.models import DeliveryAttempt, Job, ProofOfDelivery, Shipment, TrackingEvent
from backend.shipments.states import (
    EventKind,
    JobKind,
    JobStatus,
    ProofMethod,
    ReasonCode,
    RecipientRelation,
    ShipmentStatus,
)
from backend.sync.models import Attachment
from parcelkit.rules.privacy import Surface, mask_address, mask_name, phone_for

# A job a supervisor can still agree a time for (negotiation_offer refuses closed jobs).
PROPOSABLE = (
    JobStatus.PENDING,
    JobStatus.ASSIGNED,
    JobStatus.ACCEPTED,
    JobStatus.STARTED,
    JobStatus.ARRIVED,
    JobStatus.FAILED,
)


_label = label  # the console's labels, in the user's language (backend/console/labels.py)


@dataclass(frozen=True)
class Media:
    sha256: str
    content_type: str
    complete: bool  # False while the handheld is still uploading it


@dataclass(frozen=True)
class JobRow:
    job_id: int
    kind: str
    status_label: str
    courier: str
    service_date: object
    window_start: datetime | None
    window_end: datetime | None
    eta: datetime | None
    attempts: int


@dataclass(frozen=True)
class EventRow:
    kind: str
    kind_label: str
    status_label: str
    event_at: datetime
    received_at: datetime
    who: str
    device_id: str
    note: str


@dataclass(frozen=True)
class ProofRow:
    job_id: int
    method_label: str
    signer: str  # masked
    relation_label: str
    captured_at: datetime
    code_verified: bool
    media: list[Media]


@dataclass(frozen=True)
class AttemptRow:
    job_id: int
    number: int
    reason_label: str
    note: str
    attempted_at: datetime
    media: list[Media]


@dataclass(frozen=True)
class NegotiationRow:
    negotiation_id: int
    state: str
    state_label: str
    trigger_label: str
    created_at: datetime
    deadline: datetime
    options: list[str]  # each as shown, in the reader's language; the chosen one marked
    answer: str
    events: list[tuple[str, datetime, str]]  # kind, at, who


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    what: str
    who: str
    reason: str


@dataclass
class ShipmentFile:
    shipment_id: int
    tracking_no: str
    status_label: str
    service_level: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    sender_name: str
    sender_phone: str
    sender_address: str
    promised_start: datetime | None
    promised_end: datetime | None
    cod_fen: int
    jobs: list[JobRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    proofs: list[ProofRow] = field(default_factory=list)
    attempts: list[AttemptRow] = field(default_factory=list)
    negotiations: list[NegotiationRow] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)
    proposable_job_id: int | None = None

    @property
    def cod_yuan(self) -> str:
        return f"{self.cod_fen / 100:.2f}"


def _who(user: object | None) -> str:
    return str(getattr(user, "username", "")) if user is not None else _("system")


def _media(shas: list[str], known: dict[str, Attachment]) -> list[Media]:
    out = []
    for sha in shas:
        a = known.get(sha)
        out.append(
            Media(sha256=sha, content_type=a.content_type if a else "", complete=bool(a and a.complete))
        )
    return out


def _event_note(e: TrackingEvent) -> str:
    d = e.details or {}
    parts = [str(d[k]) for k in ("reason", "next_step") if d.get(k)]
    if d.get("conflict"):
        parts.append(
            _("recorded offline; conflict: %(rule)s") % {"rule": (d["conflict"] or {}).get("rule", "")}
        )
    if d.get("clock_skew_s"):
        parts.append(_("device clock off by %(s)s s") % {"s": d["clock_skew_s"]})
    if d.get("status_unchanged"):
        parts.append(_("status unchanged"))
    return "; ".join(parts)


def _negotiations(shipment_id: int) -> list[NegotiationRow]:
    lang = "zh" if (get_language() or "zh").startswith("zh") else "en"
    rows = (
        Negotiation.objects.filter(shipment_id=shipment_id)
        .select_related("consent")
        .prefetch_related("events__actor")
        .order_by("created_at", "pk")
    )
    out = []
    for n in rows:
        options = []
        for o in n.options:
            text = str((o.get("text") or {}).get(lang) or o.get("key", ""))
            if o.get("key") == n.chosen_key:
                text = "✔ " + text
            elif o.get("key") == n.default_key:
                text += " " + _("(default)")
            options.append(text)
        consent = getattr(n, "consent", None)
        answer = ""
        if consent is not None:
            answer = f"{consent.shown_text} · {_label(Channel, consent.channel)}"
        events = [
            (ev.kind, ev.at, _who(ev.actor)) for ev in sorted(n.events.all(), key=lambda ev: (ev.at, ev.pk))
        ]
        out.append(
            NegotiationRow(
                negotiation_id=n.pk,
                state=n.state,
                state_label=_label(NegotiationState, n.state),
                trigger_label=_label(Trigger, n.trigger),
                created_at=n.created_at,
                deadline=n.deadline,
                options=options,
                answer=answer,
                events=events,
            )
        )
    return out


def _audit(shipment_id: int, job_ids: list[int]) -> list[AuditRow]:
    rows: list[AuditRow] = []
    decisions = (
        AssignmentDecision.objects.filter(job_id__in=job_ids)
        .select_related("courier", "prev_courier", "actor")
        .order_by("created_at", "pk")
    )
    for d in decisions:
        to = d.courier.name if d.courier else _("the queue")
        frm = d.prev_courier.name if d.prev_courier else "—"
        what = _("Job %(job)s: %(from)s → %(to)s (%(rule)s)") % {
            "job": d.job_id,
            "from": frm,
            "to": to,
            "rule": _label(DecisionRule, d.rule),
        }
        rows.append(AuditRow(at=d.created_at, what=what, who=_who(d.actor), reason=d.reason))
    for r in reveals_for_shipment(shipment_id=shipment_id):
        what = _("Unmasked: %(field)s") % {"field": _label(RevealField, r.field)}
        rows.append(AuditRow(at=r.revealed_at, what=what, who=_who(r.revealed_by), reason=r.reason))
    for x in resolutions_for_shipment(shipment_id=shipment_id):
        what = _("Exception resolved: %(kind)s") % {"kind": _label(ExceptionKind, x.kind)}
        rows.append(AuditRow(at=x.resolved_at, what=what, who=_who(x.resolved_by), reason=x.reason))
    return sorted(rows, key=lambda r: r.at)


def shipment_file(*, station_id: int, tracking_no: str) -> ShipmentFile | None:
    """The shipment ``tracking_no`` of ``station_id``, or None (another station's is None too)."""
    s = Shipment.objects.filter(station_id=station_id, tracking_no=tracking_no).first()
    if s is None:
        return None
    jobs = list(Job.objects.filter(shipment_id=s.pk).select_related("courier").order_by("created_at", "pk"))
    job_ids = [j.pk for j in jobs]
    proofs = list(ProofOfDelivery.objects.filter(job_id__in=job_ids).order_by("captured_at", "pk"))
    attempts = list(
        DeliveryAttempt.objects.filter(job_id__in=job_ids, succeeded=False).order_by("attempted_at", "pk")
    )
    shas = {h for p in proofs for h in p.media_sha256} | {h for a in attempts for h in a.photo_sha256}
    known = {a.sha256: a for a in Attachment.objects.filter(sha256__in=shas)}
    events = TrackingEvent.objects.filter(shipment_id=s.pk).select_related("actor").order_by("event_at", "pk")
    proposable = [j for j in jobs if j.kind == JobKind.DELIVERY and j.status in PROPOSABLE]
    return ShipmentFile(
        shipment_id=s.pk,
        tracking_no=s.tracking_no,
        status_label=_label(ShipmentStatus, s.status),
        service_level=s.service_level,
        recipient_name=mask_name(s.recipient_name),
        recipient_phone=phone_for(Surface.STAFF, s.recipient_phone),
        recipient_address=mask_address(s.recipient_address),
        sender_name=mask_name(s.sender_name),
        sender_phone=phone_for(Surface.STAFF, s.sender_phone),
        sender_address=mask_address(s.sender_address),
        promised_start=s.promised_start,
        promised_end=s.promised_end,
        cod_fen=s.cod_amount_fen,
        jobs=[
            JobRow(
                job_id=j.pk,
                kind=_label(JobKind, j.kind),
                status_label=_label(JobStatus, j.status),
                courier=j.courier.name if j.courier else "—",
                service_date=j.service_date,
                window_start=j.window_start,
                window_end=j.window_end,
                eta=j.eta,
                attempts=j.attempt_count,
            )
            for j in jobs
        ],
        events=[
            EventRow(
                kind=e.kind,
                kind_label=_label(EventKind, e.kind),
                status_label=_label(ShipmentStatus, e.status_after),
                event_at=e.event_at,
                received_at=e.received_at,
                who=_who(e.actor),
                device_id=e.device_id,
                note=_event_note(e),
            )
            for e in events
        ],
        proofs=[
            ProofRow(
                job_id=p.job_id,
                method_label=_label(ProofMethod, p.method),
                signer=mask_name(p.recipient_name),
                relation_label=_label(RecipientRelation, p.recipient_relation),
                captured_at=p.captured_at,
                code_verified=p.code_verified,
                media=_media(list(p.media_sha256), known),
            )
            for p in proofs
        ],
        attempts=[
            AttemptRow(
                job_id=a.job_id,
                number=a.number,
                reason_label=_label(ReasonCode, a.reason_code),
                note=a.note,
                attempted_at=a.attempted_at,
                media=_media(list(a.photo_sha256), known),
            )
            for a in attempts
        ],
        negotiations=_negotiations(s.pk),
        audit=_audit(s.pk, job_ids),
        proposable_job_id=proposable[-1].pk if proposable else None,
    )


def station_media(*, station_id: int, sha256: str) -> Attachment | None:
    """A complete attachment named by a proof, a failed attempt or an incident (a courier's or a
    customer's photos) of the station."""
    # A text match on the JSON list (works on SQLite too), then the exact membership in Python.
    proofs = ProofOfDelivery.objects.filter(job__station_id=station_id, media_sha256__icontains=sha256)
    attempts = DeliveryAttempt.objects.filter(job__station_id=station_id, photo_sha256__icontains=sha256)
    incidents = Incident.objects.filter(station_id=station_id, photo_sha256__icontains=sha256)
    named = (
        any(sha256 in p for p in proofs.values_list("media_sha256", flat=True))
        or any(sha256 in a for a in attempts.values_list("photo_sha256", flat=True))
        or any(sha256 in i for i in incidents.values_list("photo_sha256", flat=True))
    )
    if not named:
        return None
    return Attachment.objects.filter(sha256=sha256, complete=True).first()
