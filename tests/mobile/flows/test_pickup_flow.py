"""The pickup at the door, driven as the screens drive it, with the real scale driver over a pty."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from mobile.devices.label_renderer import ZplLabelRenderer
from mobile.devices.printer import NetworkPrinter
from mobile.devices.scale import Scale
from mobile.devices.scale_sim import ScaleSimulator
from mobile.flows.pickup import FlowError, PickupFlow, PickupJob, Step
from mobile.offline.waybills import JsonFileBlockStore, WaybillIssuer
from parcelkit.rules.pricing import TariffBook
from parcelkit.rules.tracking import make_tracking_no

REAL_NAME = {"sender_id_type": "resident_id", "sender_id_last4": "123x", "sender_real_name": "张三"}

TABLE = json.loads(
    (Path(__file__).parents[3] / "parcelkit" / "rules" / "pricing_cases.json").read_text("utf-8")
)
BOOK = TariffBook.from_json(TABLE["tariff_book"] | {"version": "3"})
JOB = PickupJob(
    job_id=41,
    origin="SZX",
    destination_region="GD",
    service_level="standard",
    sender=("张三", "13812345678", "广东省深圳市南山区科技园南区10号"),
    recipient=("李四", "13912345678", "广东省广州市天河区体育西路1号"),
)
PHOTO = "ab" * 32


@pytest.fixture
def sim() -> Iterator[ScaleSimulator]:
    with ScaleSimulator("mtsics", weight_g=2001, interval=0.01) as simulator:
        yield simulator


@pytest.fixture
def scale(sim: ScaleSimulator) -> Iterator[Scale]:
    device = Scale.open(sim.device_path, "mtsics", reply_timeout=0.3, poll_interval=0.01)
    yield device
    device.close()


@pytest.fixture
def issuer(tmp_path: Path) -> WaybillIssuer:
    w = WaybillIssuer(JsonFileBlockStore(tmp_path / "blocks.json"))
    w.add_block(block_id=9, first_serial=20_261_123, last_serial=20_261_124)
    return w


class FakePrinter:
    """A raw-port printer on 127.0.0.1: one job per connection, kept whole."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            chunks = []
            while data := conn.recv(65536):
                chunks.append(data)
        self.jobs.append(b"".join(chunks))
        self.done.set()


def _dead_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])


def flow(
    issuer: WaybillIssuer, scale: Scale | None = None, printer: object = None, job: PickupJob = JOB
) -> PickupFlow:
    return PickupFlow(
        job,
        book=BOOK,
        issuer=issuer,
        labels=ZplLabelRenderer(),
        scale=scale,
        scale_model="ACS-30" if scale else "",
        printer=printer,
    )


def test_scale_and_label_take_four_courier_steps(scale: Scale, issuer: WaybillIssuer) -> None:
    printer = FakePrinter()
    f = flow(issuer, scale, NetworkPrinter("127.0.0.1", printer.port))
    assert f.start() is Step.DIMENSIONS  # the scale was read without the courier doing anything
    assert f.draft.weight_g == 2001
    assert f.submit(length_mm=100, width_mm=100, height_mm=100, pieces=1) is Step.INSPECTION
    assert f.submit(**REAL_NAME, prohibited_items_absent=True, declared_value_fen=10_000) is Step.QUOTE
    assert f.draft.quote is not None
    # 2001 g standard to GD: 1000 + 2 × 200 freight, insurance at its 100 fen minimum.
    assert [(line.code, line.amount_fen) for line in f.draft.quote.lines] == [
        ("freight", 1400),
        ("insurance", 100),
    ]
    assert f.submit(payment_method="alipay") is Step.PRINT  # number issued and label rendered on the way
    number = make_tracking_no(20_261_123)
    assert f.draft.tracking_no == number
    preview = Image.open(io.BytesIO(f.draft.preview_png))
    assert {r.format.name: r.text for r in zxingcpp.read_barcodes(preview)} == {
        "Code128": number,
        "QRCode": number,
    }
    assert f.submit(print_label=True) is Step.DONE
    assert printer.done.wait(5)
    assert printer.jobs == [f.draft.zpl]
    assert f"^FD{number}^FS".encode() in printer.jobs[0]
    assert f.courier_steps == 4
    assert f.payload() == {
        "job_id": 41,
        "tracking_no": number,
        "pickup": {
            "measured_weight_g": 2001,
            "weight_source": "scale",
            "scale_model": "ACS-30",
            "manual_reason": "",
            "length_mm": 100,
            "width_mm": 100,
            "height_mm": 100,
            "pieces": 1,
            "declared_value_fen": 10_000,
            "prohibited_items_absent": True,
            "contents_photo_sha256": "",
            "price_fen": 1500,
            "payment_method": "alipay",
            "sender_id_type": "resident_id",
            "sender_id_last4": "123X",
            "sender_real_name": "张三",
        },
        "pricing": {
            "destination_region": "GD",
            "service_level": "standard",
            "cod_amount_fen": 0,
            "fragile": False,
            "remote_area": False,
            "tariff_version": 3,
        },
        "label_printed": True,
    }


def test_manual_weight_needs_a_reason_and_adds_one_step(issuer: WaybillIssuer) -> None:
    f = flow(issuer)
    assert f.start() is Step.WEIGH
    assert f.problems == ["no scale connected: key in the weight and say why"]
    assert f.submit(weight_g=1500) is Step.WEIGH
    assert f.problems == ["say why the weight is keyed in by hand (for example: scale broken)"]
    assert f.submit(weight_g=0, reason="x") is Step.WEIGH
    assert f.problems == ["key in the weight in grams (1–1000000)"]
    assert f.submit(weight_g=1500, reason=" scale broken ") is Step.DIMENSIONS
    f.submit(length_mm=100, width_mm=100, height_mm=100)
    f.submit(**REAL_NAME, prohibited_items_absent=True)
    f.submit(payment_method="cash")
    assert f.submit(print_label=False) is Step.DONE
    assert f.courier_steps == 5
    pickup = f.payload()["pickup"]
    assert (pickup["weight_source"], pickup["manual_reason"], pickup["scale_model"]) == (
        "manual",
        "scale broken",
        "",
    )
    assert f.payload()["label_printed"] is False


def test_scale_errors_are_shown_as_they_are_and_a_retry_goes_on(
    sim: ScaleSimulator, scale: Scale, issuer: WaybillIssuer
) -> None:
    sim.set_fault("overload")
    f = flow(issuer, scale)
    assert f.start() is Step.WEIGH
    assert f.problems == ["scale overloaded: too heavy for this scale"]
    sim.set_fault(None)
    sim.set_weight(0)
    assert f.retry_scale() is Step.WEIGH
    assert f.problems == ["the scale reads 0 g: put the parcel on the platform"]
    sim.set_weight(900)
    assert f.retry_scale() is Step.DIMENSIONS
    assert (f.draft.weight_g, f.courier_steps) == (900, 0)


def test_an_unplugged_scale_says_not_connected_never_zero(
    sim: ScaleSimulator, scale: Scale, issuer: WaybillIssuer
) -> None:
    sim.unplug()
    f = flow(issuer, scale)
    assert f.start() is Step.WEIGH
    assert f.problems == ["scale not connected"]
    assert f.draft.weight_g is None


def test_each_screen_says_what_is_wrong(issuer: WaybillIssuer) -> None:
    f = flow(issuer)
    f.start()
    f.submit(weight_g=1500, reason="no scale")
    assert f.submit(length_mm=0, width_mm=100, height_mm=3001, pieces=0) is Step.DIMENSIONS
    assert f.problems == ["length must be 1–3000 mm", "height must be 1–3000 mm", "pieces must be 1–999"]
    f.submit(length_mm=100, width_mm=100, height_mm=100, pieces=2)
    assert f.submit(**REAL_NAME, prohibited_items_absent=False, declared_value_fen=200_000) is Step.INSPECTION
    assert f.problems == [
        "confirm the parcel holds no prohibited items, or refuse the pickup",
        "photograph the contents: the declared value is over 1000 yuan",
    ]
    assert f.submit(**REAL_NAME, prohibited_items_absent=True, declared_value_fen=-1) is Step.INSPECTION
    assert f.problems == ["the declared value must be 0 or more fen"]
    assert (
        f.submit(
            **REAL_NAME, prohibited_items_absent=True, declared_value_fen=200_000, contents_photo_sha256=PHOTO
        )
        is Step.QUOTE
    )
    assert f.submit(payment_method="bitcoin") is Step.QUOTE
    assert f.problems[0].startswith("choose how the customer pays: alipay, cash")
    assert f.courier_steps == 3  # refusals are not steps


def test_a_refused_quote_sends_the_courier_where_it_can_be_fixed(
    sim: ScaleSimulator, scale: Scale, issuer: WaybillIssuer
) -> None:
    sim.set_weight(50_001)
    f = flow(issuer, scale)
    f.start()
    f.submit(length_mm=100, width_mm=100, height_mm=100)
    assert f.submit(**REAL_NAME, prohibited_items_absent=True) is Step.WEIGH
    assert f.problems == ["weight is over 50000 g (weight_over_limit)"]
    sim.set_weight(2000)
    f.retry_scale()
    assert f.submit(length_mm=1501, width_mm=100, height_mm=100) is Step.INSPECTION
    assert f.submit(**REAL_NAME, prohibited_items_absent=True) is Step.DIMENSIONS
    assert f.problems == ["each side must be 1..1500 mm (dimension_out_of_range)"]


def test_no_tariff_for_the_destination_stops_at_the_quote(issuer: WaybillIssuer) -> None:
    f = flow(issuer, job=PickupJob(**{**JOB.__dict__, "destination_region": "TB"}))
    f.start()
    f.submit(weight_g=1000, reason="no scale")
    f.submit(length_mm=100, width_mm=100, height_mm=100)
    assert f.submit(**REAL_NAME, prohibited_items_absent=True) is Step.QUOTE
    assert f.problems == ["no standard tariff from 'SZX' to 'TB' (no_tariff_for_destination)"]
    assert f.submit(payment_method="cash") is Step.QUOTE  # no price, no going on


def _to_payment(f: PickupFlow) -> None:
    f.start()
    f.submit(weight_g=1000, reason="no scale")
    f.submit(length_mm=100, width_mm=100, height_mm=100)
    f.submit(**REAL_NAME, prohibited_items_absent=True)


def test_an_exhausted_block_stops_before_the_label_until_a_new_block_arrives(tmp_path: Path) -> None:
    empty = WaybillIssuer(JsonFileBlockStore(tmp_path / "none.json"))
    f = flow(empty)
    _to_payment(f)
    assert f.submit(payment_method="cash") is Step.WAYBILL
    assert f.problems == ["no waybill numbers left on this handheld: sync to get a new block"]
    assert f.submit() is Step.WAYBILL
    empty.add_block(block_id=1, first_serial=5, last_serial=9)  # a sync brought one
    assert f.submit() is Step.PRINT
    assert f.draft.tracking_no == make_tracking_no(5)


def test_a_booked_shipment_keeps_its_number(issuer: WaybillIssuer) -> None:
    booked = make_tracking_no(777)
    f = flow(issuer, job=PickupJob(**{**JOB.__dict__, "tracking_no": booked}))
    _to_payment(f)
    f.submit(payment_method="cash")
    assert f.draft.tracking_no == booked
    assert issuer.remaining() == 2  # nothing taken from the block


def test_an_unreachable_printer_can_be_retried_or_skipped(issuer: WaybillIssuer) -> None:
    f = flow(issuer, printer=NetworkPrinter("127.0.0.1", _dead_port(), timeout=1))
    _to_payment(f)
    f.submit(payment_method="cash")
    assert f.submit(print_label=True) is Step.PRINT
    assert f.problems[0].startswith("printer 127.0.0.1:") and "unreachable" in f.problems[0]
    assert f.submit(print_label=False) is Step.DONE
    assert f.payload()["label_printed"] is False


def test_going_back_keeps_the_issued_number_and_reprices(issuer: WaybillIssuer) -> None:
    f = flow(issuer)
    _to_payment(f)
    f.submit(payment_method="cash")
    number = f.draft.tracking_no
    assert f.back() is Step.QUOTE
    assert f.back() is Step.INSPECTION
    f.submit(**REAL_NAME, prohibited_items_absent=True, declared_value_fen=10_000)
    assert f.draft.quote is not None and f.draft.quote.total_fen == 1100
    f.submit(payment_method="cash")
    assert f.draft.tracking_no == number
    with pytest.raises(FlowError):
        f.payload()  # not done yet
    f.submit(print_label=False)
    with pytest.raises(FlowError):
        f.submit()


def test_no_pickup_without_the_senders_real_name_check(scale: Scale, issuer: WaybillIssuer) -> None:
    f = flow(issuer, scale)
    f.start()
    f.submit(length_mm=100, width_mm=100, height_mm=100, pieces=1)
    assert f.submit(prohibited_items_absent=True, declared_value_fen=0) is Step.INSPECTION
    assert f.problems == [
        "choose the sender's ID type: resident_id, passport, hk_macau_permit, taiwan_permit, other",
        "key in the last 4 characters of the sender's ID number",
        "key in the name on the sender's ID",
    ]
    bad = {**REAL_NAME, "sender_id_last4": "12"}
    assert f.submit(**bad, prohibited_items_absent=True, declared_value_fen=0) is Step.INSPECTION
    assert f.submit(**REAL_NAME, prohibited_items_absent=True, declared_value_fen=0) is Step.QUOTE
    d = f.draft
    assert (d.sender_id_type, d.sender_id_last4, d.sender_real_name) == ("resident_id", "123X", "张三")
