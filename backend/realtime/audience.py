"""Who a socket speaks for, which feed rows they may see, and what each row looks like to them.

This is the whole filtering policy of the live feeds, kept apart from the consumer so it can be
read (and tested) in one place:

* courier feed: rows of jobs assigned to the courier, with the side of the shipment the job needs
  (a delivery: the recipient; a pickup: the sender, and the recipient as the label prints it;
  shipments/courier_view.py), a negotiation in the handheld's shape, without the customer's
  pickup code; a row that moved a job *away*
  from the courier (``prev_courier_id`` is them, ``courier_id`` is not) becomes ``job.revoked``
  with the job id only, because the job is no longer theirs to see;
* station feed: every row of the station, as it is (supervisors see full data);
* shipment feed (the customer's page): rows of one shipment reduced to exactly what the page
  shows: ``tracking.updated`` with the shipment's public status and masked name and phone, and the
  delivery visit's ETA and window; ``tracking.scanned`` with the status a hand-over scan left. No
  job status, scan kind, courier, device, address or coordinates: the page shows none of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from backend.accounts.roles import Principal
from backend.accounts.sockets import session_group, token_group, user_group
from backend.broadcast.envelope import courier_group, envelope, shipment_group, station_group
from backend.negotiation.snapshots import negotiation_courier_view
from backend.realtime.selectors import Feed, FeedRow
from backend.shipments.courier_view import courier_job, courier_shipment
from parcelkit.rules.privacy import Surface, mask_name, phone_for

# Ephemeral (not change-feed) message types each feed may forward from its group.
LIVE_TYPES: dict[Feed, frozenset[str]] = {
    "courier": frozenset(),
    "station": frozenset({"courier.location"}),
    "shipment": frozenset(),  # the customer's page shows no map: no position reaches it
}


@dataclass(frozen=True)
class Audience:
    feed: Feed
    target_id: int  # courier id, station id or shipment id
    principal: Principal | None = None  # None on the shipment feed (a link token names no person)
    device_id: str = ""
    token_id: int | None = None  # the device token the socket opened with (revocation closes it)
    session_key: str = ""  # the console login session it opened with instead (logging out closes it)

    @property
    def group(self) -> str:
        if self.feed == "courier":
            return courier_group(self.target_id)
        if self.feed == "station":
            return station_group(self.target_id)
        return shipment_group(self.target_id)

    @property
    def groups(self) -> list[str]:
        """Every channel-layer group the socket joins: its feed's, then the ones rung to close or
        re-check it (its token's revocation, its person's access, its login session's logout)."""
        out = [self.group]
        if self.token_id is not None:
            out.append(token_group(self.token_id))
        if self.user_id is not None:
            out.append(user_group(self.user_id))
        if self.session_key:
            out.append(session_group(self.session_key))
        return out

    @property
    def user_id(self) -> int | None:
        """The person the socket speaks for (None on the shipment feed)."""
        return None if self.principal is None else self.principal.user_id

    @property
    def key(self) -> tuple[str, int]:
        return (self.feed, self.target_id)

    def wants(self, row: FeedRow) -> bool:
        if self.feed == "courier":
            return self.target_id in (row.courier_id, row.prev_courier_id)
        if self.feed == "station":
            return row.station_id == self.target_id
        return row.shipment_id == self.target_id

    def render(self, row: FeedRow) -> str | None:
        """The JSON text this audience receives for a row it wants (None: nothing to show them)."""
        if self.feed == "courier" and row.courier_id != self.target_id:
            return _revoked_json(row)
        if self.feed == "courier" and "negotiation" in row.payload:
            return _courier_negotiation_json(row)
        if self.feed == "courier" and ("job" in row.payload or "shipment" in row.payload):
            return _courier_json(row)
        if self.feed == "shipment":
            return _public_json(row)
        return row.plain_json


_REVOKED_REASON = {"job.delivered_offline": "delivered_by_other"}


def _revoked_json(row: FeedRow) -> str:
    cached = row.__dict__.get("_revoked")
    if cached is None:
        job = row.payload.get("job") or {}
        payload = {
            "job_id": row.job_id,
            "version": job.get("version"),
            "reason": _REVOKED_REASON.get(row.kind) or ("reassigned" if row.courier_id else "unassigned"),
        }
        cached = row.__dict__["_revoked"] = json.dumps(envelope("job.revoked", row.cursor, row.at, payload))
    return str(cached)


def _courier_negotiation_json(row: FeedRow) -> str:
    """A negotiation as the handheld sees it: no pickup code nor other option extras (snapshots.py)."""
    cached = row.__dict__.get("_courier")
    if cached is None:
        payload = {"negotiation": negotiation_courier_view(row.payload["negotiation"])}
        cached = row.__dict__["_courier"] = json.dumps(
            envelope(row.kind, row.cursor, row.at, payload), ensure_ascii=False
        )
    return str(cached)


def _courier_json(row: FeedRow) -> str:
    """A job or shipment change as its courier sees it: the side of the shipment their job needs
    (shipments/courier_view.py; the same view as the sync pull and the REST job outputs)."""
    cached = row.__dict__.get("_courier_view")
    if cached is None:
        payload = dict(row.payload)
        if "job" in payload:
            payload["job"] = courier_job(payload["job"])
        else:
            kind = (payload.get("carrier_job") or {}).get("kind")
            payload["shipment"] = courier_shipment(payload["shipment"], [kind] if kind else [])
        cached = row.__dict__["_courier_view"] = json.dumps(
            envelope(row.kind, row.cursor, row.at, payload), ensure_ascii=False
        )
    return str(cached)


def customer_shipment(s: dict[str, Any]) -> dict[str, Any]:
    """What the customer's page shows of the shipment, from a full shipment snapshot."""
    return {
        "tracking_no": s["tracking_no"],
        "status": s["status"],
        "recipient_name": mask_name(s["recipient_name"]),
        "recipient_phone": phone_for(Surface.CUSTOMER_LINK, s["recipient_phone"]),
    }


def customer_visit(j: dict[str, Any]) -> dict[str, Any] | None:
    """What the page shows of the delivery visit: when (the ETA and the agreed window), not who or
    where. None for a pickup: its timing is the sender's business, not the recipient's."""
    if j["kind"] != "delivery":
        return None
    return {"eta": j["eta"], "window_start": j["window_start"], "window_end": j["window_end"]}


def _public_json(row: FeedRow) -> str | None:
    cached = row.__dict__.get("_public")
    if cached is None and "scan" in row.payload:  # a hand-over scan (snapshots.scan_payload)
        p = row.payload
        public = {"tracking_no": p["tracking_no"], "status": p["status"]}
        cached = row.__dict__["_public"] = json.dumps(
            envelope("tracking.scanned", row.cursor, row.at, public)
        )
    if cached is None:
        job = row.payload.get("job")
        shipment = job["shipment"] if job else row.payload.get("shipment")
        if shipment is None:  # a row kind with nothing public in it
            return None
        payload = {"shipment": customer_shipment(shipment), "visit": customer_visit(job) if job else None}
        cached = row.__dict__["_public"] = json.dumps(
            envelope("tracking.updated", row.cursor, row.at, payload), ensure_ascii=False
        )
    return str(cached)
