"""The pickup at the door as a UI-free state machine (the navmap idea of electrum's wizard).

    weigh → dimensions → inspection → quote → waybill → label → print → done

``weigh`` reads the scale by itself (``read_stable``) and moves on; when the scale fails the courier
sees why ("scale not connected", overload…) and either retries or keys the weight in with a reason.
``quote`` prices offline from the day's TariffBook (the rules the server re-checks with), ``waybill``
takes a number from the handheld's block (or keeps the booked one), ``label`` renders the PNG
preview and the ZPL, and ``print`` sends it or skips. At ``done``, ``payload()`` is what the sync
op carries to ``backend.pickup.services.pickup_complete``.

How courier steps are counted: one step is one accepted ``submit()``, i.e. one screen the courier
fills in and confirms. Steps the handheld does alone (reading a stable scale, pricing, issuing the
number, rendering the label) are not courier steps, and neither is a refused submit (the screen
stays, with its problems listed). With a scale and a printer a pickup is four steps: dimensions,
inspection, accept price and payment, print. Keying the weight in by hand adds one.

The devices are ports (mobile/devices/ports.py) injected by the core: the scale, the label renderer
and the printer. The flow decides what to do with a reading or a failure; the tests pass fakes.

``start()``, ``retry_scale()`` and ``submit()`` may block (the scale waits for a stable reading, the
printer for its socket): screens call them off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mobile.devices.ports import DeviceError, LabelPort, PrinterError, PrinterPort, ScalePort
from mobile.flows.navmap import FlowError, StepSpec, back_of
from mobile.flows.pickup_draft import Draft, from_json, to_json
from mobile.offline.waybills import WaybillIssuer, WaybillsExhausted
from parcelkit.rules.pickup import (
    check_dimensions,
    check_inspection,
    check_manual_weight,
    check_payment,
    check_real_name,
    waybill_label,
)
from parcelkit.rules.pricing import QuoteError, TariffBook, pickup_quote_request, quote

SCALE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class PickupJob:
    """What the day's data says about the pickup; ``tracking_no`` is empty for a walk-up parcel."""

    job_id: int
    origin: str
    destination_region: str
    service_level: str
    sender: tuple[str, str, str]
    recipient: tuple[str, str, str]
    tracking_no: str = ""
    cod_amount_fen: int = 0
    fragile: bool = False
    remote_area: bool = False


class Step(StrEnum):
    WEIGH = "weigh"
    DIMENSIONS = "dimensions"
    INSPECTION = "inspection"
    QUOTE = "quote"
    WAYBILL = "waybill"
    LABEL = "label"
    PRINT = "print"
    DONE = "done"


# "back" goes to the step named in the spec (auto steps are skipped).
NAVMAP: dict[Step, StepSpec[Step]] = {
    Step.WEIGH: StepSpec(next=Step.DIMENSIONS),
    Step.DIMENSIONS: StepSpec(next=Step.INSPECTION, back=Step.WEIGH),
    Step.INSPECTION: StepSpec(next=Step.QUOTE, back=Step.DIMENSIONS),
    Step.QUOTE: StepSpec(next=Step.WAYBILL, back=Step.INSPECTION),
    Step.WAYBILL: StepSpec(next=Step.LABEL, back=Step.QUOTE),
    Step.LABEL: StepSpec(next=Step.PRINT),
    Step.PRINT: StepSpec(next=Step.DONE, back=Step.QUOTE),
    Step.DONE: StepSpec(next=None),
}

# A refused quote sends the courier to the screen where the offending value was entered.
_FIX_STEP = {
    "weight_not_positive": Step.WEIGH,
    "weight_over_limit": Step.WEIGH,
    "dimension_out_of_range": Step.DIMENSIONS,
    "amount_negative": Step.INSPECTION,
    "declared_value_over_cap": Step.INSPECTION,
}


class PickupFlow:
    def __init__(
        self,
        job: PickupJob,
        *,
        book: TariffBook,
        issuer: WaybillIssuer,
        labels: LabelPort,
        scale: ScalePort | None = None,
        scale_model: str = "",
        printer: PrinterPort | None = None,
    ) -> None:
        if scale is not None and not scale_model:
            raise ValueError("a scale needs its model name: it goes on the waybill record")
        self.job = job
        self.book = book
        self.issuer = issuer
        self.scale = scale
        self.scale_model = scale_model
        self.printer = printer
        self.labels = labels
        self.draft = Draft(tracking_no=job.tracking_no)
        self.step = Step.WEIGH
        self.problems: list[str] = []
        self.courier_steps = 0
        self.resumed = False  # restored from a draft: the screen shows its step, the scale is not re-read
        # Called after every change: the core writes the draft to the store (mobile/offline/drafts.py).
        self.on_change: Callable[[PickupFlow], None] = lambda _flow: None
        self._accept: dict[Step, Callable[..., list[str]]] = {
            Step.WEIGH: self._accept_weight,
            Step.DIMENSIONS: self._accept_dimensions,
            Step.INSPECTION: self._accept_inspection,
            Step.QUOTE: self._accept_quote,
            Step.WAYBILL: self._accept_waybill_retry,
            Step.PRINT: self._accept_print,
        }
        self._on_enter: dict[Step, Callable[[], Step | None]] = {
            Step.WEIGH: self._read_scale,
            Step.QUOTE: self._price,
            Step.WAYBILL: self._take_number,
            Step.LABEL: self._render_label,
        }

    def snapshot(self) -> dict[str, Any]:
        """The draft and the step: what a restart resumes from."""
        return {
            "job_id": self.job.job_id,
            "step": self.step.value,
            "courier_steps": self.courier_steps,
            "draft": to_json(self.draft),
        }

    def restore(self, saved: dict[str, Any]) -> PickupFlow:
        """Back to where a killed app left this pickup (the flow is built with today's devices)."""
        self.draft = from_json(saved["draft"])
        self.step = Step(saved["step"])
        self.courier_steps = int(saved.get("courier_steps") or 0)
        self.resumed = True
        return self

    def _changed(self) -> Step:
        self.on_change(self)
        return self.step

    # -- what the screens call -----------------------------------------------------------------

    def start(self) -> Step:
        self._go(Step.WEIGH)
        return self._changed()

    def add_contents_photo(self, data: bytes, content_type: str) -> None:
        """The contents photo an insured value over 1,000 yuan needs; taken at the inspection step."""
        if self.step is not Step.INSPECTION:
            raise FlowError("the contents are photographed at the inspection step")
        self.draft.set_contents_photo(data, content_type)
        self.problems = []
        self._changed()

    def submit(self, **fields: Any) -> Step:
        """The courier confirms the current screen; on a refusal ``problems`` says what is wrong."""
        accept = self._accept.get(self.step)
        if accept is None:
            raise FlowError(f"nothing to confirm at {self.step}")
        problems = accept(**fields)
        if problems:
            self.problems = problems
            return self._changed()
        self.courier_steps += 1
        next_step = NAVMAP[self.step].next
        assert next_step is not None
        self._go(next_step)
        return self._changed()

    def retry_scale(self) -> Step:
        """Read the scale again (after plugging it in, clearing the platform…); not a courier step."""
        if self.step is not Step.WEIGH:
            raise FlowError("the scale is read at the weigh step")
        self._go(Step.WEIGH)
        return self._changed()

    def back(self) -> Step:
        target = back_of(NAVMAP, self.step)
        self.problems = []
        self.step = target  # going back re-shows the screen; it does not redo its automatic part
        return self._changed()

    def payload(self) -> dict[str, Any]:
        """What the sync op carries: ``pickup`` is PickupInput, ``pricing`` the rest of pickup_complete."""
        if self.step is not Step.DONE:
            raise FlowError("the pickup is not finished")
        d = self.draft
        assert d.quote is not None and d.weight_g is not None
        return {
            "job_id": self.job.job_id,
            "tracking_no": d.tracking_no,
            "pickup": {
                "measured_weight_g": d.weight_g,
                "weight_source": d.weight_source,
                "scale_model": d.scale_model,
                "manual_reason": d.manual_reason,
                "length_mm": d.length_mm,
                "width_mm": d.width_mm,
                "height_mm": d.height_mm,
                "pieces": d.pieces,
                "declared_value_fen": d.declared_value_fen,
                "prohibited_items_absent": d.prohibited_items_absent,
                "contents_photo_sha256": d.contents_photo_sha256,
                "price_fen": d.quote.total_fen,
                "payment_method": d.payment_method,
                "sender_id_type": d.sender_id_type,
                "sender_id_last4": d.sender_id_last4,
                "sender_real_name": d.sender_real_name,
            },
            "pricing": {
                "destination_region": self.job.destination_region,
                "service_level": self.job.service_level,
                "cod_amount_fen": self.job.cod_amount_fen,
                "fragile": self.job.fragile,
                "remote_area": self.job.remote_area,
                "tariff_version": int(self.book.version) if self.book.version.isdigit() else None,
            },
            "label_printed": d.label_printed,
        }

    # -- moving between steps ------------------------------------------------------------------

    def _go(self, step: Step) -> Step:
        """Enter ``step`` and run the automatic steps until one needs the courier."""
        self.problems = []
        while True:
            self.step = step
            enter = self._on_enter.get(step)
            following = enter() if enter is not None else None
            if following is None:
                return self.step
            step = following

    # -- automatic parts -----------------------------------------------------------------------

    def _read_scale(self) -> Step | None:
        if self.scale is None:
            self.problems = ["no scale connected: key in the weight and say why"]
            return None
        try:
            grams = self.scale.read_stable(SCALE_TIMEOUT_S)
        except DeviceError as exc:
            self.problems = [str(exc)]
            return None
        if grams <= 0:
            self.problems = ["the scale reads 0 g: put the parcel on the platform"]
            return None
        d = self.draft
        d.weight_g, d.weight_source, d.scale_model, d.manual_reason = grams, "scale", self.scale_model, ""
        return NAVMAP[Step.WEIGH].next

    def _price(self) -> Step | None:
        d = self.draft
        request = pickup_quote_request(
            origin=self.job.origin,
            destination_region=self.job.destination_region,
            service_level=self.job.service_level,
            weight_g=d.weight_g,
            length_mm=d.length_mm,
            width_mm=d.width_mm,
            height_mm=d.height_mm,
            declared_value_fen=d.declared_value_fen,
            cod_amount_fen=self.job.cod_amount_fen,
            fragile=self.job.fragile,
            remote_area=self.job.remote_area,
        )
        try:
            d.quote = quote(self.book, request)
        except QuoteError as exc:
            d.quote = None
            fix = _FIX_STEP.get(exc.code)
            if fix is not None:
                self.step = fix
            self.problems = [f"{exc.message} ({exc.code})"]
            # Stay on the fixing screen (or on the quote screen when nothing there can fix it).
            return None
        return None  # the courier now confirms the price and the payment method

    def _take_number(self) -> Step | None:
        d = self.draft
        if not d.tracking_no:
            try:
                d.tracking_no = self.issuer.issue()
            except WaybillsExhausted as exc:
                self.problems = [str(exc)]
                return None
        return NAVMAP[Step.WAYBILL].next

    def _render_label(self) -> Step | None:
        d = self.draft
        assert d.weight_g is not None
        labels = [
            waybill_label(
                tracking_no=d.tracking_no,
                service_level=self.job.service_level,
                destination_region=self.job.destination_region,
                origin=self.job.origin,
                weight_g=d.weight_g,
                sender=self.job.sender,
                recipient=self.job.recipient,
                cod_amount_fen=self.job.cod_amount_fen,
                piece_no=n,
                piece_count=d.pieces,
            )
            for n in range(1, d.pieces + 1)
        ]
        rendered = self.labels.render(labels)
        d.preview_png, d.zpl = rendered.preview_png, rendered.zpl
        return NAVMAP[Step.LABEL].next

    # -- the courier's confirmations -----------------------------------------------------------

    def _accept_weight(self, *, weight_g: object = None, reason: object = "") -> list[str]:
        problems = check_manual_weight(weight_g, reason)
        # The isinstance checks repeat what check_manual_weight proved, for the type checker.
        if not problems and isinstance(weight_g, int) and isinstance(reason, str):
            d = self.draft
            d.weight_g, d.weight_source, d.scale_model = weight_g, "manual", ""
            d.manual_reason = reason.strip()
        return problems

    def _accept_dimensions(
        self,
        *,
        length_mm: object = None,
        width_mm: object = None,
        height_mm: object = None,
        pieces: object = 1,
    ) -> list[str]:
        problems = check_dimensions(length_mm, width_mm, height_mm, pieces)
        if (
            not problems
            and isinstance(length_mm, int)
            and isinstance(width_mm, int)
            and isinstance(height_mm, int)
            and isinstance(pieces, int)
        ):
            d = self.draft
            d.length_mm, d.width_mm, d.height_mm, d.pieces = length_mm, width_mm, height_mm, pieces
        return problems

    def _accept_inspection(
        self,
        *,
        prohibited_items_absent: object = False,
        declared_value_fen: object = 0,
        contents_photo_sha256: object = "",
        sender_id_type: object = "",
        sender_id_last4: object = "",
        sender_real_name: object = "",
    ) -> list[str]:
        # The photo taken on this step (add_contents_photo) unless the caller names one.
        contents_photo_sha256 = contents_photo_sha256 or self.draft.contents_photo_sha256
        problems = check_inspection(prohibited_items_absent, declared_value_fen, contents_photo_sha256)
        # 实名收寄 is the law: no pickup without the sender's ID checked (or refuse it: no_real_name).
        problems += check_real_name(sender_id_type, sender_id_last4, sender_real_name)
        if (
            not problems
            and isinstance(declared_value_fen, int)
            and isinstance(sender_id_type, str)
            and isinstance(sender_id_last4, str)
            and isinstance(sender_real_name, str)
        ):
            d = self.draft
            d.sender_id_type = sender_id_type
            d.sender_id_last4 = sender_id_last4.strip().upper()
            d.sender_real_name = sender_real_name.strip()
            d.prohibited_items_absent = True
            d.declared_value_fen = declared_value_fen
            d.contents_photo_sha256 = contents_photo_sha256 if isinstance(contents_photo_sha256, str) else ""
        return problems

    def _accept_quote(self, *, payment_method: object = "") -> list[str]:
        if self.draft.quote is None:
            # The price was refused and nothing here can fix it (e.g. no tariff for the destination).
            return list(self.problems) or ["no price for this parcel"]
        problems = check_payment(payment_method)
        if not problems and isinstance(payment_method, str):
            self.draft.payment_method = payment_method
        return problems

    def _accept_waybill_retry(self) -> list[str]:
        # Only reached when the block ran out: after a sync brought a new block, "try again".
        return [] if self._take_number() is not None else list(self.problems)

    def _accept_print(self, *, print_label: object = True) -> list[str]:
        if print_label is False:
            return []
        if self.printer is None:
            return ["no printer paired: pair one or skip printing"]
        try:
            self.printer.send(self.draft.zpl)
        except PrinterError as exc:
            return [str(exc)]
        self.draft.label_printed = True
        return []
