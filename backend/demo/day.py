"""The demo day: who gets which shipment, in which order, and how far each courier has got.

``plan_day`` decides everything up front (pure, from the demo rows and the territories);
``play_shipment`` then drives one shipment through the real services, as the console and the
handheld would: create, station scan, assign, plan, accept, start, arrive, deliver or fail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from backend.accounts.roles import Principal, Role
from backend.couriers.models import Courier, Station, VehicleType, Zone
from backend.demo import data as demo
from backend.shipments.context import Ctx
from backend.shipments.services import (
    ShipmentInput,
    job_accept,
    job_arrive,
    job_assign,
    job_complete_pickup,
    job_deliver,
    job_fail,
    job_start,
    scan,
    shipment_create,
)
from backend.shipments.services.door_inputs import PickupInput, ProofInput
from backend.shipments.services.planning import job_set_plan
from parcelkit.rules import handling as handling_rules

DAY_STARTS = time(8, 30)
STOP_MINUTES = 4
SPEED_M_S = {VehicleType.VAN: 5.5, VehicleType.E_TRICYCLE: 4.2}
DELIVERY_FAILURES = (
    "not_home",
    "not_home",
    "not_home",
    "refused",
    "access_denied",
    "customer_rescheduled",
    "no_safe_place",
    "wrong_address",
)
PICKUP_FAILURES = ("business_closed", "customer_rescheduled", "not_home")
NEXT_STEPS = ("retry", "retry", "new_window", "hold_station")


@dataclass
class Step:
    """Where one shipment's job should end up today."""

    courier_id: int | None = None
    seq: int | None = None
    eta: datetime | None = None
    outcome: str = "pending"  # pending | assigned | accepted | started | completed | failed


@dataclass
class DayPlan:
    steps: dict[int, Step] = field(default_factory=dict)  # by DemoShipment.index


def plan_day(
    station: Station, crew: list[Courier], zones: list[Zone], rows: list[demo.DemoShipment], day: date
) -> DayPlan:
    """Assign by territory, order each courier's stops by a nearest-neighbour walk from the station,
    and make the first part of each route done (the day is under way), the next stop in progress."""
    tz = ZoneInfo(station.time_zone)
    keys = [(z.courier_id, list(z.address_prefixes), list(z.postcodes)) for z in zones]
    plan = DayPlan()
    mine: dict[int, list[demo.DemoShipment]] = {c.pk: [] for c in crew}
    for row in rows:
        owner = (
            None if row.leave_unassigned else demo.zone_key_for(row.place.address, row.place.postcode, keys)
        )
        if owner is not None and owner in mine:
            plan.steps[row.index] = Step(courier_id=owner)
            mine[owner].append(row)
        else:
            plan.steps[row.index] = Step(courier_id=None)
    for courier in crew:
        stops = mine[courier.pk]
        route = demo.walk(
            (station.lat, station.lng),
            [demo.Stop(r.place.lat, r.place.lng, *_window(r)) for r in stops],
            datetime.combine(day, DAY_STARTS, tz),
            speed_m_s=SPEED_M_S.get(VehicleType(courier.vehicle_type), 4.2),
            stop_s=STOP_MINUTES * 60,
        )
        rng = random.Random(f"parcelrun-demo-{day.isoformat()}-{courier.employee_no}")
        done = round(len(route) * rng.uniform(0.15, 0.4))
        for seq, (i, eta) in enumerate(route, 1):
            row = stops[i]
            step = plan.steps[row.index]
            step.seq, step.eta = seq, eta.replace(second=0, microsecond=0)
            pick = random.Random(row.rng_seed)
            if seq <= done:
                step.outcome = "failed" if pick.random() < 0.12 else "completed"
            elif seq == done + 1:
                step.outcome = "started"
            else:
                step.outcome = "accepted" if pick.random() < 0.55 else "assigned"
    return plan


def _window(row: demo.DemoShipment) -> tuple[datetime | None, datetime | None]:
    start = row.fields.get("promised_start") or row.fields.get("window_start")
    end = row.fields.get("promised_end") or row.fields.get("window_end")
    return (start if isinstance(start, datetime) else None), (end if isinstance(end, datetime) else None)


def _courier_ctx(courier: Courier, place: demo.Place | None = None) -> Ctx:
    actor = Principal(
        user_id=courier.user_id, role=Role.COURIER, courier_id=courier.pk, station_id=courier.station_id
    )
    if place is None:
        return Ctx(actor=actor, device_id=f"demo-{courier.employee_no}")
    return Ctx(
        actor=actor, device_id=f"demo-{courier.employee_no}", lat=place.lat, lng=place.lng, accuracy_m=8.0
    )


def play_shipment(
    station: Station, row: demo.DemoShipment, step: Step, staff: Ctx, crew: dict[int, Courier]
) -> None:
    job = shipment_create(station_id=station.pk, data=ShipmentInput.from_dict(dict(row.fields)), ctx=staff)
    if row.kind == "delivery":
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=staff)
    if step.courier_id is None:
        return
    courier = crew[step.courier_id]
    job_assign(job_id=job.pk, courier_id=courier.pk, ctx=staff, reason="territory owner")
    job_set_plan(job_id=job.pk, planned_seq=step.seq, eta=step.eta, ctx=staff)
    if step.outcome == "assigned":
        return
    on_the_road = _courier_ctx(courier)
    job_accept(job_id=job.pk, ctx=on_the_road)
    if step.outcome == "accepted":
        return
    job_start(job_id=job.pk, ctx=on_the_road)
    if step.outcome == "started":
        return
    at_door = _courier_ctx(courier, row.place)
    pick = random.Random(row.rng_seed)
    if pick.random() < 0.7:
        job_arrive(job_id=job.pk, ctx=at_door)
    if step.outcome == "failed":
        reasons = DELIVERY_FAILURES + (("cod_not_ready",) if row.fields["cod_amount_fen"] else ())
        reason = pick.choice(reasons if row.kind == "delivery" else PICKUP_FAILURES)
        job_fail(
            job_id=job.pk,
            ctx=at_door,
            reason_code=reason,
            next_step={"kind": pick.choice(NEXT_STEPS)},
            photo_sha256=[demo.fake_sha256(row.index, "door")],
        )
    elif row.kind == "pickup":
        job_complete_pickup(job_id=job.pk, ctx=at_door, data=_pickup(row, pick))
    else:
        job_deliver(job_id=job.pk, ctx=at_door, proof=_proof(row, pick))


def _whole(value: object) -> int:
    """A number the demo generator put in ``DemoShipment.fields`` (typed ``object`` there)."""
    if not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {value!r}")
    return int(value)


def _pickup(row: demo.DemoShipment, pick: random.Random) -> PickupInput:
    declared = _whole(row.fields["declared_weight_g"])
    weight = max(50, round(declared * pick.uniform(0.9, 1.1)))
    started_kg = -(-weight // 1000)
    return PickupInput(
        measured_weight_g=weight,
        weight_source="scale",
        scale_model="PR-S30",
        pieces=1,
        length_mm=pick.randint(150, 600),
        width_mm=pick.randint(100, 400),
        height_mm=pick.randint(50, 300),
        declared_value_fen=_whole(row.fields.get("declared_value_fen") or 0),
        prohibited_items_absent=True,
        contents_photo_sha256=demo.fake_sha256(row.index, "contents"),
        price_fen=1200 + 200 * (started_kg - 1),
        payment_method=pick.choice(("wechat", "alipay", "cash")),
    )


def _proof(row: demo.DemoShipment, pick: random.Random) -> ProofInput:
    cod = _whole(row.fields["cod_amount_fen"])
    lat, lng = row.place.lat, row.place.lng
    code = str(row.fields.get("delivery_code") or "")
    needs_id = handling_rules.needs_id(row.fields.get("handling"))
    # An ID-check / high-value parcel: the recipient in person shows an ID card (its last 4 kept).
    id_type, id_last4 = ("resident_id", f"{row.index * 37 % 10**4:04d}") if needs_id else ("", "")
    if code:
        return ProofInput(
            method="code",
            recipient_relation="self",
            recipient_name=str(row.fields["recipient_name"]),
            code=code,
            lat=lat,
            lng=lng,
            accuracy_m=8.0,
            cod_collected_fen=cod,
            id_type=id_type,
            id_last4=id_last4,
        )
    method, relation = pick.choice(
        (
            ("signature", "self"),
            ("signature", "family"),
            ("photo", "guard"),
            ("photo", "colleague"),
            ("locker", "locker"),
        )
    )
    if needs_id:  # in person only (parcelkit/rules/handling.py); the choice above is still drawn
        method, relation = "signature", "self"
    media = [] if method == "locker" else [demo.fake_sha256(row.index, method)]
    return ProofInput(
        method=method,
        recipient_relation=relation,
        recipient_name=str(row.fields["recipient_name"]),
        media_sha256=media,
        lat=lat,
        lng=lng,
        accuracy_m=8.0,
        cod_collected_fen=cod,
        # A locker needs the recipient's consent (shipments/consent.py): the demo courier phoned.
        consent_name=str(row.fields["recipient_name"]) if method == "locker" else "",
        consent_relation="self" if method == "locker" else "",
        consent_call_record=f"demo call before delivery {row.index}" if method == "locker" else "",
        # The locker's compartment and the code it printed (not drawn from ``pick``: the day stays the same).
        locker_compartment=f"A{row.index % 40 + 1:02d}" if method == "locker" else "",
        locker_code=f"{row.index * 7919 % 10**6:06d}" if method == "locker" else "",
        id_type=id_type,
        id_last4=id_last4,
    )
