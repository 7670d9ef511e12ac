"""The pickup flow behind its ports: no serial port, no socket, no renderer — fakes stand in for them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from mobile.devices.ports import DeviceError, PrinterError, RenderedLabels
from mobile.devices.scale import ScaleNotConnected
from mobile.flows.pickup import PickupFlow, PickupJob, Step
from mobile.offline.waybills import JsonFileBlockStore, WaybillIssuer
from parcelkit.labels.layout import LabelData
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


class FakeScale:
    """Answers each read with the next of ``readings``: grams, or an error to raise."""

    def __init__(self, *readings: int | DeviceError) -> None:
        self.readings = list(readings)
        self.reads = 0

    def read_stable(self, timeout: float = 5.0) -> int:
        self.reads += 1
        reading = self.readings.pop(0)
        if isinstance(reading, DeviceError):
            raise reading
        return reading


class FakePrinter:
    def __init__(self, *failures: PrinterError) -> None:
        self.failures = list(failures)
        self.jobs: list[bytes] = []

    def send(self, zpl: bytes) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.jobs.append(zpl)


class FakeLabels:
    def __init__(self) -> None:
        self.rendered: list[list[LabelData]] = []

    def render(self, labels: Sequence[LabelData]) -> RenderedLabels:
        self.rendered.append(list(labels))
        return RenderedLabels(preview_png=b"png:" + labels[0].tracking_no.encode(), zpl=b"zpl" * len(labels))


@pytest.fixture
def issuer(tmp_path: Path) -> WaybillIssuer:
    w = WaybillIssuer(JsonFileBlockStore(tmp_path / "blocks.json"))
    w.add_block(block_id=9, first_serial=20_261_123, last_serial=20_261_124)
    return w


def flow(
    issuer: WaybillIssuer, scale: FakeScale | None, printer: FakePrinter | None, labels: FakeLabels
) -> PickupFlow:
    return PickupFlow(
        JOB,
        book=BOOK,
        issuer=issuer,
        labels=labels,
        scale=scale,
        scale_model="Fake" if scale else "",
        printer=printer,
    )


def test_with_a_scale_and_a_printer_the_courier_confirms_four_screens(issuer: WaybillIssuer) -> None:
    scale, printer, labels = FakeScale(2001), FakePrinter(), FakeLabels()
    f = flow(issuer, scale, printer, labels)
    assert f.start() is Step.DIMENSIONS and f.draft.weight_g == 2001 and scale.reads == 1
    assert f.submit(length_mm=100, width_mm=100, height_mm=100, pieces=2) is Step.INSPECTION
    assert f.submit(**REAL_NAME, prohibited_items_absent=True, declared_value_fen=10_000) is Step.QUOTE
    assert f.submit(payment_method="alipay") is Step.PRINT
    number = make_tracking_no(20_261_123)
    assert [[label.piece_no for label in job] for job in labels.rendered] == [[1, 2]]
    assert {label.tracking_no for label in labels.rendered[0]} == {number}
    assert f.draft.preview_png == b"png:" + number.encode() and f.draft.zpl == b"zplzpl"
    assert f.submit(print_label=True) is Step.DONE
    assert printer.jobs == [b"zplzpl"] and f.courier_steps == 4
    assert f.payload()["pickup"]["weight_source"] == "scale" and f.payload()["label_printed"] is True


def test_a_scale_failure_is_shown_and_a_retry_reads_again(issuer: WaybillIssuer) -> None:
    scale = FakeScale(ScaleNotConnected(), 1500)
    f = flow(issuer, scale, FakePrinter(), FakeLabels())
    assert f.start() is Step.WEIGH and f.problems == ["scale not connected"]
    assert f.retry_scale() is Step.DIMENSIONS and f.draft.weight_g == 1500 and f.courier_steps == 0


def test_without_a_scale_the_weight_is_keyed_in_with_a_reason(issuer: WaybillIssuer) -> None:
    f = flow(issuer, None, None, FakeLabels())
    assert f.start() is Step.WEIGH and f.problems
    assert f.submit(weight_g=800) is Step.WEIGH and f.problems  # no reason
    assert f.submit(weight_g=800, reason="scale battery flat") is Step.DIMENSIONS
    assert (f.draft.weight_source, f.draft.scale_model) == ("manual", "")


def test_a_printer_failure_stays_on_print_until_it_prints_or_is_skipped(issuer: WaybillIssuer) -> None:
    printer = FakePrinter(PrinterError("printer 10.0.0.9:9100 unreachable: connection refused"))
    f = flow(issuer, FakeScale(2001), printer, FakeLabels())
    f.start()
    f.submit(length_mm=100, width_mm=100, height_mm=100, pieces=1)
    f.submit(**REAL_NAME, prohibited_items_absent=True, declared_value_fen=0)
    assert f.submit(payment_method="cash") is Step.PRINT
    assert f.submit(print_label=True) is Step.PRINT
    assert f.problems == ["printer 10.0.0.9:9100 unreachable: connection refused"]
    assert f.submit(print_label=True) is Step.DONE and printer.jobs == [b"zpl"]
