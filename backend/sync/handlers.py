"""One function per op kind: check the payload, call the service REST calls, return extras.

Each returns a dict merged into the op's result (``{}`` for a plain "applied") or raises
DomainError, which becomes the op's stored rejection. Scans are not here: a run of scans is applied
set-based by ``backend.shipments.services.scans_bulk`` (see ``services``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeGuard

from backend.cod.services import declaration_record, variance_sign
from backend.common.errors import DomainError
from backend.incidents.services import incident_raise
from backend.incidents.services.incidents import IncidentInput
from backend.negotiation.services import negotiation_propose
from backend.pickup.services import pickup_complete
from backend.shipments.context import Ctx
from backend.shipments.models import Job, OfflineConflict
from backend.shipments.services import (
    job_accept,
    job_arrive,
    job_deliver,
    job_fail,
    job_start,
)
from backend.shipments.services.door_inputs import PickupInput, ProofInput
from backend.shipments.services.offline import job_deliver_offline, job_fail_offline
from backend.shipments.states import JobStatus, ShipmentStatus
from backend.sync.attachments import clean_sha256
from backend.sync.models import DeviceState
from backend.sync.ops import Op
from backend.sync.services.attachments import attachments_reference
from backend.sync.services.calls import call_log_record
from parcelkit.ops import CALL_OUTCOMES, INCIDENT_TYPES, PICKUP_ENVELOPE, PRICING_FIELDS


def malformed(message: str) -> DomainError:
    return DomainError("malformed_op", message)


MAX_INT = 2**31 - 1  # ids, counts and amounts on the wire; the database refuses bigger ones anyway


def is_wire_int(value: object, minimum: int = 1) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_INT


def _int(payload: dict[str, Any], name: str, *, minimum: int = 1) -> int:
    value = payload.get(name)
    if not is_wire_int(value, minimum):
        raise malformed(f"payload.{name} must be an integer from {minimum} to {MAX_INT}")
    return value


# Annotation names of the service input dataclasses → the JSON types that may fill them.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "None": (type(None),),
    "list[str]": (list,),
    "datetime": (),
}


def _check_types(cls: type, data: dict[str, Any], name: str) -> None:
    """Dataclasses do not check types; a number where a name belongs must be refused, not crash."""
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        allowed = tuple(t for part in str(f.type).split("|") for t in _JSON_TYPES.get(part.strip(), ()))
        is_bool = isinstance(value, bool)
        if (
            not isinstance(value, allowed)
            or (is_bool and bool not in allowed)
            or (isinstance(value, int) and not is_bool and abs(value) > MAX_INT)
        ):
            raise malformed(f"payload.{name}.{f.name} has the wrong type or is out of range")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise malformed(f"payload.{name}.{f.name} must be a list of strings")


def _shas(payload: dict[str, Any], name: str) -> list[str]:
    value = payload.get(name, [])
    if not isinstance(value, list):
        raise malformed(f"payload.{name} must be a list of sha256 strings")
    try:
        return [clean_sha256(v) for v in value]
    except DomainError as exc:
        raise malformed(f"payload.{name}: {exc.message}") from None


def _aware(value: Any, name: str) -> datetime:
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise malformed(f"payload.{name} must be an ISO 8601 time with its zone")
    return when


def _build(cls: type, data: Any, name: str, **extra: Any) -> Any:
    if not isinstance(data, dict):
        raise malformed(f"payload.{name} must be an object")
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise malformed(f"payload.{name} has unknown fields {sorted(unknown)}")
    _check_types(cls, data, name)
    try:
        return cls(**{**data, **extra})
    except TypeError as exc:
        raise malformed(f"payload.{name}: {exc}") from None


def _step(service: Callable[..., Job]) -> Callable[[Op, Ctx], dict[str, Any]]:
    def apply(op: Op, ctx: Ctx) -> dict[str, Any]:
        service(job_id=_int(op.payload, "job_id"), ctx=ctx)
        return {}

    return apply


def deliver(op: Op, ctx: Ctx) -> dict[str, Any]:
    job_id = _int(op.payload, "job_id")
    raw = op.payload.get("proof")
    captured_at = op.event_at
    if isinstance(raw, dict) and "captured_at" in raw:
        # docs/api.md lists proof.captured_at: when the image was taken, an ISO time with its zone.
        raw = dict(raw)
        captured_at = _aware(raw.pop("captured_at"), "proof.captured_at")
    proof: ProofInput = _build(ProofInput, raw, "proof", captured_at=captured_at)
    shas = _shas({"media_sha256": proof.media_sha256}, "media_sha256")
    extra: dict[str, Any] = {}
    try:
        job_deliver(job_id=job_id, ctx=ctx, proof=proof)
    except DomainError as exc:
        if not _station_changed_it(exc, also_finished=False):
            raise
        # Conflict rules (services/offline.py): a delivery recorded before the job was given to
        # someone else stands; after any other change by the station it is kept for a supervisor.
        held = job_deliver_offline(job_id=job_id, ctx=ctx, proof=proof, not_before=not_before(ctx))
        extra |= _conflict(held, "offline_delivery_beats_reassignment")
    missing = attachments_reference(job_id=job_id, op_id=op.op_id, sha256s=shas)
    if missing:
        extra["attachments_missing"] = missing
    return extra


def fail(op: Op, ctx: Ctx) -> dict[str, Any]:
    job_id = _int(op.payload, "job_id")
    reason = op.payload.get("reason_code")
    note = op.payload.get("note", "")
    step = op.payload.get("next_step") or {}
    if not isinstance(reason, str) or not isinstance(note, str) or not isinstance(step, dict):
        raise malformed("payload needs reason_code (string), optional note (string) and next_step (object)")
    photos = _shas(op.payload, "photo_sha256")
    extra: dict[str, Any] = {}
    try:
        job_fail(job_id=job_id, ctx=ctx, reason_code=reason, note=note, next_step=step, photo_sha256=photos)
    except DomainError as exc:
        if not _station_changed_it(exc, also_finished=True):
            raise
        # Recorded before the job was cancelled or taken away: kept for a supervisor, no effect.
        attempt = {"reason_code": reason, "note": note, "next_step": step, "photo_sha256": photos}
        held = job_fail_offline(job_id=job_id, ctx=ctx, attempt=attempt, not_before=not_before(ctx))
        extra |= _conflict(held, "")
    missing = attachments_reference(job_id=job_id, op_id=op.op_id, sha256s=photos)
    if missing:
        extra["attachments_missing"] = missing
    return extra


def _station_changed_it(exc: DomainError, *, also_finished: bool) -> bool:
    """Whether a refusal may come from a change the station made while the device was offline:
    the job is no longer the courier's, or it (or its parcel) is in a state a courier's step cannot
    leave. A job already completed (or, for a failed attempt, failed) is two devices taking the
    same step or a finish that came first: those keep their own rules."""
    if exc.code == "not_assigned_to_you":
        return True
    if exc.code != "invalid_transition":
        return False
    current = exc.details.get("current")
    if exc.details.get("entity") == "job":
        return current == JobStatus.CANCELLED or (not also_finished and current == JobStatus.FAILED)
    return exc.details.get("entity") == "shipment" and current in STATION_DECISIONS


# Parcel statuses only a station's decision leads to (a delivered parcel is not one: a step on it
# keeps its own refusal).
STATION_DECISIONS = frozenset(
    {
        ShipmentStatus.AT_STATION,
        ShipmentStatus.HELD,
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.RETURNING,
        ShipmentStatus.RETURNED,
        ShipmentStatus.CANCELLED,
    }
)


def _conflict(held: OfflineConflict | None, stood: str) -> dict[str, Any]:
    if held is None:
        return {"conflict": stood}
    return {"conflict": "held_for_supervisor", "offline_conflict_id": held.pk}


def not_before(ctx: Ctx) -> datetime | None:
    """The latest time among the ops this device recorded before this one (set by the push)."""
    value = ctx.extra.get("not_before")
    return value if isinstance(value, datetime) else None


def weigh(op: Op, ctx: Ctx) -> dict[str, Any]:
    """The weighing at the sender's door, which completes the pickup."""
    job_id = _int(op.payload, "job_id")
    pricing = op.payload.get("pricing") or {}
    if not isinstance(pricing, dict) or set(pricing) - PRICING_FIELDS:
        raise malformed(f"payload.pricing is an object with keys from {sorted(PRICING_FIELDS)}")
    fields_ = {k: v for k, v in op.payload.items() if k not in PICKUP_ENVELOPE}
    data: PickupInput = _build(PickupInput, fields_, "pickup")
    version = pricing.get("tariff_version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise malformed("payload.pricing.tariff_version must be an integer")
    try:
        # Re-priced from the shipment's own record with the book version the handheld used; the
        # other ``pricing`` keys are the handheld's copy of that record, read by older apps and
        # ignored here (issue 16: a device must not choose what its pickup is priced as).
        pickup_complete(job_id=job_id, ctx=ctx, data=data, tariff_version=version)
    except DomainError as exc:
        # Conflict rule: a weight recorded twice (two devices, or a re-weigh) keeps the first one.
        if exc.code == "invalid_transition" and exc.details.get("current") == JobStatus.COMPLETED:
            weight = (
                Job.objects.filter(pk=job_id).values_list("shipment__measured_weight_g", flat=True).first()
            )
            raise DomainError(
                "already_weighed", f"this pickup was already weighed at {weight} g", recorded_weight_g=weight
            ) from None
        raise
    return {}


def location(op: Op, ctx: Ctx, device: DeviceState) -> dict[str, Any]:
    if ctx.lat is None or ctx.lng is None:
        raise malformed("a location op needs payload.lat and payload.lng")
    # Fixes arrive out of order after an offline spell: keep the newest by device time.
    if device.last_fix_at is None or op.event_at > device.last_fix_at:
        device.last_lat, device.last_lng, device.last_accuracy_m = ctx.lat, ctx.lng, ctx.accuracy_m
        device.last_fix_at = op.event_at
    return {}


def call_log(op: Op, ctx: Ctx) -> dict[str, Any]:
    job_id = _int(op.payload, "job_id")
    duration = _int(op.payload, "duration_s", minimum=0)
    outcome = op.payload.get("outcome")
    if outcome not in CALL_OUTCOMES:  # a malformed op (rejected as such), before the service's check
        raise malformed(f"payload.outcome must be one of {sorted(CALL_OUTCOMES)}")
    call_log_record(
        op_id=op.op_id, job_id=job_id, called_at=op.event_at, duration_s=duration, outcome=outcome, ctx=ctx
    )
    return {}


def propose(op: Op, ctx: Ctx) -> dict[str, Any]:
    """The courier proposes a time to the customer (docs/negotiation.md); works offline too."""
    job_id = _int(op.payload, "job_id")
    try:
        start = datetime.fromisoformat(op.payload["window_start"])
        end = datetime.fromisoformat(op.payload["window_end"])
    except (KeyError, TypeError, ValueError):
        raise malformed("payload needs window_start and window_end (ISO 8601 with a time zone)") from None
    negotiation = negotiation_propose(job_id=job_id, ctx=ctx, window_start=start, window_end=end)
    return {"negotiation_id": negotiation.pk}


def cod_declare(op: Op, ctx: Ctx) -> dict[str, Any]:
    """The courier's count of the cash they hand over (docs/cod.md); works offline."""
    declared = op.payload.get("declared_fen")
    if not is_wire_int(declared, 0):
        raise malformed(f"payload.declared_fen must be a whole number of fen from 0 to {MAX_INT}")
    return {"declaration_id": declaration_record(ctx=ctx, declared_fen=declared).pk}


def cod_sign(op: Op, ctx: Ctx) -> dict[str, Any]:
    """The courier signs a handover's variance (the second sign-off); works offline."""
    variance_id = _int(op.payload, "variance_id")
    note = op.payload.get("note", "")
    if not isinstance(note, str):
        raise malformed("payload.note must be a string")
    variance_sign(variance_id=variance_id, ctx=ctx, note=note)
    return {}


def incident(op: Op, ctx: Ctx) -> dict[str, Any]:
    """A courier reports an incident (docs/incidents.md); offline too. Once per op id."""
    kind = op.payload.get("incident_type")
    description = op.payload.get("description", "")
    if kind not in INCIDENT_TYPES or not isinstance(description, str):
        raise malformed(f"payload needs incident_type (one of {sorted(INCIDENT_TYPES)}) and description")
    job_id = _int(op.payload, "job_id") if "job_id" in op.payload else None
    shipment_id = _int(op.payload, "shipment_id") if "shipment_id" in op.payload else None
    photos = _shas(op.payload, "photo_sha256")
    station_id = ctx.actor.station_id
    if station_id is None:
        raise DomainError("wrong_role", "only a courier reports incidents from a handheld")
    raised = incident_raise(
        station_id=station_id,
        data=IncidentInput(
            incident_type=kind,
            shipment_id=shipment_id,
            job_id=job_id,
            description=description,
            photo_sha256=photos,
        ),
        ctx=ctx,
        dedupe_key=f"op:{op.op_id}",
    )
    extra: dict[str, Any] = {"incident_id": raised.pk}
    missing = (
        attachments_reference(job_id=raised.job_id, op_id=op.op_id, sha256s=photos) if raised.job_id else []
    )
    if missing:
        extra["attachments_missing"] = missing
    return extra


HANDLERS: dict[str, Callable[[Op, Ctx], dict[str, Any]]] = {
    "accept": _step(job_accept),
    "start": _step(job_start),
    "arrive": _step(job_arrive),
    "deliver": deliver,
    "fail": fail,
    "weigh": weigh,
    "call_log": call_log,
    "propose": propose,
    "cod_declare": cod_declare,
    "cod_sign": cod_sign,
    "incident": incident,
}


# Kinds whose handler writes only through one service call (itself an atomic block), so the
# push needs no savepoint of its own around them (two fewer round trips per op).
ONE_SERVICE = frozenset({"accept", "start", "arrive", "weigh", "cod_declare", "cod_sign"})

# Job steps a push applies through one unit of work (``services._apply_unit``): their services
# only lock and write jobs and shipments through ``recording`` and read no row another step of
# the same push may have changed.
UNIT_KINDS = frozenset({"accept", "start", "arrive", "deliver", "fail"})


def ctx_for(op: Op, actor: Any) -> Ctx:
    """Who/where/when of an op; coordinates are optional on every kind (``payload.lat/lng/accuracy_m``)."""
    lat, lng, accuracy_m = coords(op.payload)
    return Ctx(
        actor=actor,
        device_id=op.device_id,
        event_at=op.event_at,
        lat=lat,
        lng=lng,
        accuracy_m=accuracy_m,
        idempotency_key=op.op_id,
        key_claimed=True,
    )


_NUMBER = (int, float)


def coords(p: dict[str, Any]) -> tuple[Any, Any, Any]:
    """``payload.lat/lng/accuracy_m`` (each optional), checked to be numbers (runs per scan: kept cheap)."""
    where = (p.get("lat"), p.get("lng"), p.get("accuracy_m"))
    for c in where:
        if c is not None and (c.__class__ is bool or not isinstance(c, _NUMBER)):
            raise malformed("payload.lat, lng and accuracy_m must be numbers")
    return where
