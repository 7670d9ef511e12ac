"""Every live message type and its payload shape (``validation.py`` checks messages against it).
docs/realtime.md mirrors this table.

Envelope: ``{"type", "v", "cursor", "at", "payload"}`` (``envelope.py``). ``cursor`` is:

* ``"feed"``: the change-feed cursor of the row the message carries (store it; reconnect with it);
* ``"position"``: the socket's position (every row of your feed up to it has been sent);
* ``"none"``: ``null`` — the message is not part of the change feed (locations, replies, errors).

The validator is strict (unknown keys are errors), so a payload that grows a field fails the
catalogue test until this module and the docs say so: the catalogue is a contract, not a comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import (
    Any,
    Literal,
    TypedDict,
)

CursorRule = Literal["feed", "position", "none"]


class ShipmentSnapshot(TypedDict):
    id: int
    tracking_no: str
    status: str
    station_id: int
    service_level: str
    destination_region: str
    sender_name: str  # a pickup courier calls and finds the sender
    sender_phone: str
    sender_address: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    promised_start: str | None
    promised_end: str | None
    cod_amount_fen: int
    handling: list[str]
    pieces: int
    measured_weight_g: int | None
    price_fen: int | None


class JobSnapshot(TypedDict):
    id: int
    kind: Literal["pickup", "delivery"]
    status: str
    version: int
    station_id: int
    courier_id: int | None
    service_date: str
    address: str
    lat: float | None
    lng: float | None
    window_start: str | None
    window_end: str | None
    priority: int
    planned_seq: int | None
    eta: str | None
    attempt_count: int
    next_step: dict[str, Any]
    shipment: ShipmentSnapshot


class JobPayload(TypedDict):
    job: JobSnapshot


class PlannedJob(TypedDict):
    id: int
    planned_seq: int | None
    eta: str | None
    version: int  # unchanged by a plan: keep using it for your edits
    plan_revision: int


class RoutePlan(TypedDict):
    courier_id: int
    service_date: str
    jobs: list[PlannedJob]  # only the jobs whose place or ETA changed


class RoutePlannedPayload(TypedDict):
    route: RoutePlan


class OfflineConflict(TypedDict):
    rule: str
    reassigned_to: int | None
    delivered_by: int
    recorded_at: str
    received_at: str


class JobDeliveredOfflinePayload(TypedDict):
    job: JobSnapshot
    conflict: OfflineConflict


class JobRevokedPayload(TypedDict):
    job_id: int
    version: int | None
    reason: Literal["reassigned", "unassigned", "delivered_by_other"]


class NegotiationOption(TypedDict, total=False):
    key: str
    kind: str
    text: dict[str, str]
    window_start: str | None
    window_end: str | None
    locker: str
    address: str
    lat: float
    lng: float


class NegotiationSnapshot(TypedDict):
    id: int
    job_id: int
    shipment_id: int
    state: Literal["offered", "answered", "expired", "superseded", "cancelled"]
    trigger: str
    reason_code: str
    options: list[NegotiationOption]
    deadline: str
    default_key: str
    chosen_key: str


class CourierNegotiationOption(TypedDict):
    key: str
    kind: str
    text: dict[str, str]
    window_start: str | None
    window_end: str | None


class CourierNegotiation(TypedDict):
    """The courier feed's shape (``negotiation.snapshots.negotiation_courier_view``): no option extras."""

    id: int
    job_id: int
    shipment_id: int
    state: Literal["offered", "answered", "expired", "superseded", "cancelled"]
    trigger: str
    reason_code: str
    options: list[CourierNegotiationOption]
    deadline: str
    default_key: str
    chosen_key: str
    window_start: str | None
    window_end: str | None


class NegotiationPayload(TypedDict):
    negotiation: NegotiationSnapshot | CourierNegotiation


class IncidentSnapshot(TypedDict):
    id: int
    type: str
    source: str
    state: str
    escalation: str
    shipment_id: int | None
    ack_due: str
    legal_due: str


class IncidentPayload(TypedDict):
    incident: IncidentSnapshot


class DisruptionSnapshot(TypedDict):
    id: int
    kind: str
    level: int
    address_prefixes: list[str]
    zone_id: int | None
    declared_at: str
    lifted_at: str | None


class DisruptionPayload(TypedDict):
    disruption: DisruptionSnapshot


class CarrierJob(TypedDict):
    id: int
    kind: str


class _ShipmentPayloadOptional(TypedDict, total=False):
    # The open job that carries the shipment (absent when none is held): its kind says which side
    # of the shipment its courier sees (shipments/courier_view.py).
    carrier_job: CarrierJob


class ShipmentPayload(_ShipmentPayloadOptional):
    shipment: ShipmentSnapshot


class ScanInfo(TypedDict):
    kind: str
    event_id: int


class ShipmentScannedPayload(TypedDict):
    """Not the snapshot: a scan changes only the status (set that field; snapshots.scan_payload)."""

    shipment_id: int
    tracking_no: str
    status: str
    scan: ScanInfo


class TrackingScannedPayload(TypedDict):
    """The status a hand-over scan left; the scan's kind stays inside (the page does not show it)."""

    tracking_no: str
    status: str


class CustomerShipment(TypedDict):
    tracking_no: str
    status: str
    recipient_name: str  # masked: 李*
    recipient_phone: str  # masked as on the label: 139******78


class CustomerVisit(TypedDict):
    eta: str | None
    window_start: str | None
    window_end: str | None


class TrackingUpdatedPayload(TypedDict):
    """Exactly what the customer's page shows; ``visit`` is None when the change is not about the
    delivery visit (a shipment decision, a pickup): keep the visit you have."""

    shipment: CustomerShipment
    visit: CustomerVisit | None


class CourierLocationPayload(TypedDict):
    courier_id: int
    lat: float
    lng: float
    accuracy_m: float
    recorded_at: str


class SessionReadyPayload(TypedDict):
    feed: Literal["courier", "station", "shipment"]
    replayed: int


class PingPayload(TypedDict):
    pass


class CommandOkPayload(TypedDict):
    id: str | int | None
    type: str
    result: dict[str, Any]


class ErrorPayload(TypedDict):
    id: str | int | None
    code: str
    message: str
    details: dict[str, Any]


@dataclass(frozen=True)
class MessageType:
    payload: type
    cursor: CursorRule
    feeds: tuple[str, ...]  # the feeds that can receive it
    summary: str


ALL = ("courier", "station", "shipment")
CATALOGUE: dict[str, MessageType] = {
    "job.created": MessageType(JobPayload, "feed", ("station",), "a new shipment's first job"),
    "job.assigned": MessageType(JobPayload, "feed", ("courier", "station"), "a job given to a courier"),
    "job.unassigned": MessageType(JobPayload, "feed", ("station",), "a job taken back to the pool"),
    "job.updated": MessageType(JobPayload, "feed", ("courier", "station"), "any progress of a job"),
    "job.planned": MessageType(JobPayload, "feed", ("courier", "station"), "route order or ETA changed"),
    "route.planned": MessageType(
        RoutePlannedPayload,
        "feed",
        ("courier", "station"),
        "a re-plan or ETA refresh: one message per courier for every job it moved",
    ),
    "job.delivered_offline": MessageType(
        JobDeliveredOfflinePayload,
        "feed",
        ("courier", "station"),
        "an offline delivery overtook a reassignment",
    ),
    "negotiation.updated": MessageType(
        NegotiationPayload,
        "feed",
        ("courier", "station"),
        "a question to the customer: offered, answered, closed",
    ),
    "job.revoked": MessageType(JobRevokedPayload, "feed", ("courier",), "a job is no longer yours: drop it"),
    "shipment.updated": MessageType(
        ShipmentPayload, "feed", ("station",), "a supervisor's decision on a shipment"
    ),
    "shipment.scanned": MessageType(
        ShipmentScannedPayload, "feed", ("courier", "station"), "a hand-over scan: the shipment's new status"
    ),
    "incident.changed": MessageType(
        IncidentPayload, "feed", ("station",), "an incident raised, acknowledged, escalated or decided"
    ),
    "disruption.changed": MessageType(
        DisruptionPayload, "feed", ("station",), "a disruption declared or lifted"
    ),
    "tracking.updated": MessageType(TrackingUpdatedPayload, "feed", ("shipment",), "the public view changed"),
    "tracking.scanned": MessageType(
        TrackingScannedPayload, "feed", ("shipment",), "a hand-over scan (public)"
    ),
    "courier.location": MessageType(
        CourierLocationPayload, "none", ("station",), "a courier's exact position"
    ),
    "session.ready": MessageType(SessionReadyPayload, "position", ALL, "replay done; live from here"),
    "ping": MessageType(PingPayload, "position", ALL, "heartbeat: answer with pong"),
    "command.ok": MessageType(CommandOkPayload, "none", ("courier", "station"), "a command was applied"),
    "error": MessageType(ErrorPayload, "none", ALL, "a command was refused, or why the socket closes"),
}


# Messages a client sends (no envelope: ``{"type", "id"?, "payload"}``; pong carries ``cursor``).
class LocationPingCommand(TypedDict):
    lat: float
    lng: float
    accuracy_m: float
    recorded_at: str


class JobReassignCommand(TypedDict, total=False):
    job_id: int
    courier_id: int
    reason: str
    expected_version: int


CLIENT_MESSAGES: dict[str, type] = {"location.ping": LocationPingCommand, "job.reassign": JobReassignCommand}
