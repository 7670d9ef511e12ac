"""pickup_complete: the server re-prices the pickup with the shared rules before the one write path runs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.pickup import services
from backend.pickup.models import TariffBookVersion
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from backend.shipments.services.door_inputs import CONTENTS_PHOTO_THRESHOLD_FEN, PAYMENT_METHODS, PickupInput
from backend.shipments.states import JobStatus, ShipmentStatus
from mobile.devices.label_renderer import ZplLabelRenderer
from mobile.flows.pickup import PickupFlow, PickupJob, Step
from mobile.offline.waybills import JsonFileBlockStore, WaybillIssuer
from parcelkit.rules import pickup as flow_rules
from parcelkit.rules.pricing import TariffBook
from tests.backend.pickup.conftest import TABLE, started_pickup
from tests.fixtures.people import Person

# SZX → GD standard: 2001 g in a 10 cm cube is the third step: 1000 + 2 × 200 fen.
AT_THE_DOOR = {
    "measured_weight_g": 2001,
    "weight_source": "scale",
    "scale_model": "ACS-30",
    "length_mm": 100,
    "width_mm": 100,
    "height_mm": 100,
    "prohibited_items_absent": True,
    "payment_method": "cash",
}


@pytest.fixture
def job(szx: Station, szx_supervisor: Person, szx_courier: tuple[Any, Person]) -> Job:
    return started_pickup(szx, szx_supervisor, szx_courier, destination_region="GD", service_level="standard")


def _written(job: Job) -> tuple[str, str, int, int]:
    job.refresh_from_db()
    job.shipment.refresh_from_db()
    events = TrackingEvent.objects.filter(shipment=job.shipment, kind="pickup_scan").count()
    return job.status, job.shipment.status, events, FeedEntry.objects.count()


def test_the_handhelds_price_is_accepted_and_the_pickup_recorded(
    job: Job, szx_book: TariffBookVersion, szx_courier: tuple[Any, Person]
) -> None:
    done = services.pickup_complete(
        job_id=job.pk, ctx=szx_courier[1].ctx, data=PickupInput(**AT_THE_DOOR, price_fen=1400)
    )
    assert done.status == JobStatus.COMPLETED
    job.shipment.refresh_from_db()
    assert (job.shipment.status, job.shipment.price_fen) == (ShipmentStatus.PICKED_UP, 1400)
    event = TrackingEvent.objects.get(shipment=job.shipment, kind="pickup_scan")
    assert event.details == {"weight_g": 2001, "source": "scale:ACS-30", "pieces": 1}


@pytest.mark.parametrize("price", [1399, 1401, None])
def test_a_different_price_is_refused_and_nothing_is_written(
    price: int | None, job: Job, szx_book: TariffBookVersion, szx_courier: tuple[Any, Person]
) -> None:
    before = _written(job)
    with pytest.raises(DomainError) as exc:
        services.pickup_complete(
            job_id=job.pk, ctx=szx_courier[1].ctx, data=PickupInput(**AT_THE_DOOR, price_fen=price)
        )
    assert exc.value.code == "price_mismatch"
    assert exc.value.status == 409
    assert exc.value.details["expected_total_fen"] == 1400
    assert exc.value.details["tariff_version"] == szx_book.version
    assert _written(job) == before == (JobStatus.STARTED, ShipmentStatus.CREATED, 0, before[3])


def test_a_parcel_the_rules_refuse_is_refused_with_their_code(
    job: Job, szx_book: TariffBookVersion, szx_courier: tuple[Any, Person]
) -> None:
    before = _written(job)
    too_heavy = AT_THE_DOOR | {"measured_weight_g": 50_001}
    with pytest.raises(DomainError) as exc:
        services.pickup_complete(
            job_id=job.pk, ctx=szx_courier[1].ctx, data=PickupInput(**too_heavy, price_fen=1)
        )
    assert (exc.value.code, exc.value.status) == ("weight_over_limit", 400)
    assert _written(job) == before


def test_the_surcharges_come_from_the_shipments_own_record(
    szx: Station, szx_supervisor: Person, szx_courier: tuple[Any, Person], szx_book: TariffBookVersion
) -> None:
    fragile = started_pickup(
        szx, szx_supervisor, szx_courier, destination_region="GD", handling=["fragile"], cod_amount_fen=5000
    )
    # 1400 freight + 300 fragile + 200 COD fee (minimum); no remote-area surcharge (not on the record)
    services.pickup_complete(
        job_id=fragile.pk, ctx=szx_courier[1].ctx, data=PickupInput(**AT_THE_DOOR, price_fen=1900)
    )
    fragile.shipment.refresh_from_db()
    assert fragile.shipment.price_fen == 1900


def test_a_second_weighing_with_another_price_is_refused_as_already_done(
    job: Job, szx_book: TariffBookVersion, szx_courier: tuple[Any, Person]
) -> None:
    ctx = szx_courier[1].ctx
    services.pickup_complete(job_id=job.pk, ctx=ctx, data=PickupInput(**AT_THE_DOOR, price_fen=1400))
    heavier = AT_THE_DOOR | {"measured_weight_g": 4000}
    with pytest.raises(DomainError) as exc:  # not price_mismatch: the first weight stands whatever the price
        services.pickup_complete(job_id=job.pk, ctx=ctx, data=PickupInput(**heavier, price_fen=1))
    assert exc.value.code == "invalid_transition"
    job.shipment.refresh_from_db()
    assert (job.shipment.measured_weight_g, job.shipment.price_fen) == (2001, 1400)


@pytest.mark.parametrize("price", [-50000, -1])
def test_a_negative_price_is_refused_before_the_database(
    price: int, job: Job, szx_courier: tuple[Any, Person]
) -> None:
    with pytest.raises(DomainError) as exc:  # no tariff book: the price would be taken as given
        services.pickup_complete(
            job_id=job.pk, ctx=szx_courier[1].ctx, data=PickupInput(**AT_THE_DOOR, price_fen=price)
        )
    assert exc.value.code == "pickup_incomplete"
    assert "price" in exc.value.message


def test_the_version_the_handheld_priced_with_is_honoured(
    job: Job, szx_book: TariffBookVersion, szx_supervisor: Person, szx_courier: tuple[Any, Person]
) -> None:
    dearer = copy.deepcopy(TABLE["tariff_book"])
    dearer["tariffs"][0]["step_price_fen"] = 300
    services.tariff_book_publish(ctx=szx_supervisor.ctx, origin="SZX", book_json=dearer)
    with pytest.raises(DomainError) as exc:  # the current book (v2) says 1600
        services.pickup_complete(
            job_id=job.pk, ctx=szx_courier[1].ctx, data=PickupInput(**AT_THE_DOOR, price_fen=1400)
        )
    assert exc.value.details["expected_total_fen"] == 1600
    services.pickup_complete(
        job_id=job.pk,
        ctx=szx_courier[1].ctx,
        tariff_version=szx_book.version,
        data=PickupInput(**AT_THE_DOOR, price_fen=1400),
    )


def test_without_a_tariff_book_the_price_is_taken_as_given(job: Job, szx_courier: tuple[Any, Person]) -> None:
    services.pickup_complete(
        job_id=job.pk, ctx=szx_courier[1].ctx, data=PickupInput(**AT_THE_DOOR, price_fen=777)
    )
    job.shipment.refresh_from_db()
    assert job.shipment.price_fen == 777


def test_the_handheld_flow_payload_completes_on_the_server(
    job: Job, szx_book: TariffBookVersion, szx_courier: tuple[Any, Person], tmp_path: Path
) -> None:
    book = TariffBook.from_json(szx_book.book)  # as downloaded with the day's data
    shipment = job.shipment
    pickup_job = PickupJob(
        job_id=job.pk,
        origin="SZX",
        destination_region="GD",
        service_level="standard",
        sender=(shipment.sender_name, shipment.sender_phone, shipment.sender_address),
        recipient=(shipment.recipient_name, shipment.recipient_phone, shipment.recipient_address),
        tracking_no=shipment.tracking_no,
    )
    flow = PickupFlow(
        pickup_job,
        book=book,
        issuer=WaybillIssuer(JsonFileBlockStore(tmp_path / "w.json")),
        labels=ZplLabelRenderer(),
    )
    flow.start()
    flow.submit(weight_g=3500, reason="scale battery flat")
    flow.submit(length_mm=300, width_mm=200, height_mm=100, pieces=1)
    flow.submit(
        prohibited_items_absent=True,
        declared_value_fen=0,
        sender_id_type="resident_id",
        sender_id_last4="0427",
        sender_real_name="陈静",
    )
    flow.submit(payment_method="wechat")
    assert flow.submit(print_label=False) is Step.DONE
    payload = flow.payload()
    services.pickup_complete(
        job_id=payload["job_id"],
        ctx=szx_courier[1].ctx,
        data=PickupInput(**payload["pickup"]),
        tariff_version=payload["pricing"]["tariff_version"],
    )
    shipment.refresh_from_db()
    assert (shipment.price_fen, shipment.weight_source) == (1600, "manual:scale battery flat")
    assert (shipment.sender_id_type, shipment.sender_id_last4, shipment.sender_real_name) == (
        "resident_id",
        "0427",
        "陈静",
    )


def test_the_handhelds_inspection_rules_are_the_servers() -> None:
    assert flow_rules.CONTENTS_PHOTO_THRESHOLD_FEN == CONTENTS_PHOTO_THRESHOLD_FEN
    assert flow_rules.PAYMENT_METHODS == PAYMENT_METHODS
