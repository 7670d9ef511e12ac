"""The rules of a hand-over scan, decided in one place for ``scan()`` and the set-based
``scans_record_bulk`` (which only writes the outcomes differently).

Pure: no database access. A scan is a fact: it is recorded even when it cannot move the status
(a late upload after a later status), and then carries ``status_unchanged``.
"""

from __future__ import annotations

from typing import Any

from backend.accounts.roles import Principal, Role
from backend.common.errors import DomainError
from backend.common.validators import clean_tracking_no
from backend.shipments import transitions
from backend.shipments.states import EventKind
from backend.shipments.states import ShipmentStatus as S

# Scan kinds a handheld sends, and the status each one moves a shipment to (None: a fact only).
SCAN_TARGET: dict[str, S | None] = {
    EventKind.STATION_IN: S.AT_STATION,
    EventKind.SORTED: None,
    EventKind.LOADED_OUT: S.OUT_FOR_DELIVERY,
}


def scan_input_check(tracking_no: str, scan_kind: str) -> str:
    """The cleaned tracking number; ``invalid_tracking_no`` or ``invalid`` (unknown scan kind)."""
    number = clean_tracking_no(tracking_no)
    if scan_kind not in SCAN_TARGET:
        # str(): the keys are EventKind members, whose repr is the Python enum name, not the value.
        kinds = ", ".join(sorted(str(k) for k in SCAN_TARGET))
        raise DomainError("invalid", f"unknown scan kind {scan_kind!r}; use one of: {kinds}")
    return number


def scan_permission_check(actor: Principal, station_id: int, number: str) -> None:
    """Who may scan a shipment: a courier of its station, or staff who can see the station.

    Raises ``permission_denied`` (and ``wrong_role`` for someone with no role at all is not a
    separate case: they see no station).
    """
    if actor.role is Role.COURIER:
        allowed = actor.station_id == station_id
    else:
        allowed = actor.role is not Role.NONE and actor.can_see_station(station_id)
    if not allowed:
        raise DomainError("permission_denied", f"{number} belongs to another station")


def scan_station(actor: Principal, station_id: int, number: str) -> int:
    """Where a scan of a parcel of station ``station_id`` was made: the scanner's station (a
    courier's or a supervisor's), the parcel's own for an admin.

    A courier or supervisor of another station may physically hold the parcel (it was sorted to
    the wrong station: a mis-sort). Their scan is still refused to them (``permission_denied``:
    they learn nothing of another station's parcel) but it is a fact, recorded at their station
    (``wrong_station_details``) for the parcel's history, its station's exceptions queue and the
    ``mis_sort`` KPI. Anyone else who cannot see the station is refused with nothing recorded.
    """
    try:
        scan_permission_check(actor, station_id, number)
    except DomainError:
        if actor.role in (Role.COURIER, Role.SUPERVISOR) and actor.station_id is not None:
            return actor.station_id
        raise
    return actor.station_id if actor.station_id is not None else station_id


def wrong_station_details(status: str, station_id: int) -> dict[str, Any]:
    """The details of a scan made at another station than the parcel's (``station_id``): it moves
    nothing (the parcel is not where its status would say), it only records where it was seen."""
    return {
        "status_unchanged": True,
        "status_was": status,
        "wrong_station": True,
        "parcel_station_id": station_id,
    }


def wrong_station_refusal(number: str) -> DomainError:
    """What the scanner at the wrong station is answered (the same as before the fact was kept)."""
    return DomainError("permission_denied", f"{number} belongs to another station")


def scan_status(status: str, scan_kind: str) -> tuple[S | None, dict[str, Any]]:
    """What a scan of ``scan_kind`` does to a shipment in ``status``: the new status (None: it
    stays) and the event's details (``status_unchanged`` when the scan came too late to move it)."""
    target = SCAN_TARGET[scan_kind]
    if target is None or status == target:
        return None, {}
    if transitions.shipment_can(status, target):
        return target, {}
    return None, {"status_unchanged": True, "status_was": status}
