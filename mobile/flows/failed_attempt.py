"""A failed attempt as a UI-free state machine. Plain Python.

    reason → evidence → next step → done

The reason decides the evidence: at the door (not home, no access, closed…) a photo is required;
for a recipient who could have answered (not home, rescheduled, cash not ready) a logged call is
required too. The next step is what was agreed with the customer and is recorded on the job:
another time window (both ends), hold at the station or in a locker, redirect (the new address),
try again, or return to sender. Every screen call is one tap, as in the delivery flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from mobile.flows.navmap import FlowError, StepSpec, back_of
from mobile.i18n import N_
from parcelkit.rules import cod as cod_rules

REASON_LABELS = {
    "not_home": N_("Recipient not at home"),
    "wrong_address": N_("Wrong address"),
    "address_incomplete": N_("Address incomplete"),
    "refused": N_("Refused by recipient"),
    "access_denied": N_("No access (gate, guard, building)"),
    "damaged": N_("Parcel damaged"),
    "customer_rescheduled": N_("Customer asked for another time"),
    "cod_not_ready": N_("Cash on delivery not ready"),
    "business_closed": N_("Business closed"),
    "no_safe_place": N_("No safe place to leave it"),
    "vehicle_or_weather": N_("Vehicle breakdown or severe weather"),
    "no_answer": N_("Phone not answered / unreachable"),
    "no_such_person": N_("No such person at the address"),
    "out_of_area": N_("Outside the area / missorted"),
    "self_collect": N_("Customer will collect it (station or parcel point)"),
    "freight_refused": N_("Freight-collect charge refused"),
    "contents_short": N_("Contents missing"),
    "cod_refused": N_("Refused to pay the cash on delivery"),
    "cod_partial": N_("Could pay only part of the cash on delivery"),
    "prohibited_items": N_("Prohibited items: not accepted"),
    "no_real_name": N_("Sender refused the real-name check"),
}
# What can go wrong at a sender's door (a pickup); the rest are about handing a parcel over.
PICKUP_REASONS = (
    "not_home",
    "no_answer",
    "customer_rescheduled",
    "business_closed",
    "refused",
    "prohibited_items",
    "no_real_name",
    "access_denied",
    "wrong_address",
    "vehicle_or_weather",
)
PICKUP_ONLY = frozenset({"prohibited_items", "no_real_name"})
NEXT_STEP_LABELS = {
    "retry": N_("Try again"),
    "new_window": N_("Another time window"),
    "hold_station": N_("Hold at the station"),
    "hold_locker": N_("Put in a locker"),
    "redirect": N_("Redirect to another address"),
    "return": N_("Return to sender"),
}
CALL_OUTCOME_LABELS = {
    "answered": N_("Answered"),
    "no_answer": N_("No answer"),
    "busy": N_("Busy"),
    "rejected": N_("Call rejected"),
    "wrong_number": N_("Wrong number"),
}
PHOTO_REASONS = frozenset(
    {
        "not_home",
        "wrong_address",
        "access_denied",
        "damaged",
        "business_closed",
        "no_safe_place",
        "no_such_person",
        "contents_short",
        "prohibited_items",
    }
)
CALL_REASONS = frozenset(
    {"not_home", "customer_rescheduled", "cod_not_ready", "no_answer", "self_collect", "freight_refused"}
)
# Written into the note when the photo was waived for want of a camera: the supervisor checks it.
NO_CAMERA_NOTE = "[camera_unavailable] 无相机，未拍照，请主管核实"


class Step(StrEnum):
    REASON = "reason"
    EVIDENCE = "evidence"
    NEXT_STEP = "next_step"
    DONE = "done"


NAVMAP: dict[Step, StepSpec[Step]] = {
    Step.REASON: StepSpec(next=Step.EVIDENCE),
    Step.EVIDENCE: StepSpec(next=Step.NEXT_STEP, back=Step.REASON),
    Step.NEXT_STEP: StepSpec(next=Step.DONE, back=Step.EVIDENCE),
    Step.DONE: StepSpec(next=None),
}


@dataclass(frozen=True)
class Call:
    outcome: str
    duration_s: int
    started_at: str = ""  # ISO 8601 of the dial, when the app placed and measured the call


@dataclass
class FailDraft:
    reason: str = ""
    note: str = ""
    photos: list[tuple[bytes, str]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    next_kind: str = ""
    window_start: str = ""
    window_end: str = ""
    address: str = ""
    no_camera: bool = False  # the photo was waived: no camera on this handheld (for the supervisor)


class FailedAttemptFlow:
    def __init__(self, job: dict[str, Any], *, reason_codes: list[str] | None = None) -> None:
        self.job = job
        # The day's reference list when the handheld has one (the server may have added codes),
        # narrowed to what fits the job: a pickup's reasons, or a delivery's.
        known = list(reason_codes or REASON_LABELS)
        if job.get("kind") == "pickup":
            self.reason_codes = [c for c in PICKUP_REASONS if c in known]
        else:
            # A parcel without cash on delivery cannot fail for it (the server refuses it too).
            cod = int((job.get("shipment") or {}).get("cod_amount_fen") or 0)
            hidden = PICKUP_ONLY if cod else PICKUP_ONLY | cod_rules.COD_ONLY_REASONS
            self.reason_codes = [c for c in known if c not in hidden]
        self.draft = FailDraft()
        self.step = Step.REASON
        self.taps = 0
        self.problems: list[str] = []
        # Called after every change: the core writes the draft to the store (mobile/offline/drafts.py).
        self.on_change: Callable[[FailedAttemptFlow], None] = lambda _flow: None

    def snapshot(self) -> dict[str, Any]:
        """The draft and the step, JSON-ready but for bytes (photos): what a restart resumes from."""
        return {"job_id": int(self.job["id"]), "step": self.step.value, "draft": asdict(self.draft)}

    @classmethod
    def restore(
        cls, job: dict[str, Any], saved: dict[str, Any], *, reason_codes: list[str] | None = None
    ) -> FailedAttemptFlow:
        flow = cls(job, reason_codes=reason_codes)
        d = dict(saved["draft"])
        d["photos"] = [(bytes(p[0]), str(p[1])) for p in d.get("photos", [])]
        d["calls"] = [
            Call(str(c["outcome"]), int(c["duration_s"]), str(c.get("started_at", "")))
            for c in d.get("calls", [])
        ]
        flow.draft = FailDraft(**d)
        flow.step = Step(saved["step"])
        return flow

    def _changed(self) -> None:
        self.on_change(self)

    def choose_reason(self, code: str) -> Step:
        self._tap(Step.REASON)
        if code not in self.reason_codes:
            raise FlowError(f"unknown reason code {code!r}")
        self.draft.reason = code
        return self._go(Step.EVIDENCE)

    def add_photo(self, data: bytes, content_type: str = "image/jpeg") -> None:
        self._tap(Step.EVIDENCE)
        self.draft.photos.append((data, content_type))
        self._changed()

    def camera_unavailable(self) -> None:
        """No camera: go on without the photo; the attempt is marked for the supervisor (issue 17)."""
        self._tap(Step.EVIDENCE)
        self.draft.no_camera = True
        self._changed()

    @property
    def note(self) -> str:
        """The note sent with the attempt: the courier's, plus the supervisor's mark when needed."""
        d = self.draft
        if not (d.no_camera and not d.photos):
            return d.note
        return " ".join(p for p in (d.note[: 499 - len(NO_CAMERA_NOTE)], NO_CAMERA_NOTE) if p)  # ≤ 500

    def log_call(self, outcome: str, duration_s: int = 0, started_at: str = "") -> None:
        """A call's outcome: measured by the app (its dial time and duration), or noted by hand (0 s)."""
        self._tap(Step.EVIDENCE)
        if outcome not in CALL_OUTCOME_LABELS or duration_s < 0:
            raise FlowError(f"bad call log {outcome!r}, {duration_s}")
        self.draft.calls.append(Call(outcome, duration_s, started_at))
        self._changed()

    def set_note(self, note: str) -> None:
        self._tap(Step.EVIDENCE)
        self.draft.note = note.strip()[:500]
        self._changed()

    def submit_evidence(self) -> Step:
        self._tap(Step.EVIDENCE)
        reason, d = self.draft.reason, self.draft
        problems = []
        if reason in PHOTO_REASONS and not d.photos and not d.no_camera:
            problems.append(N_("Take a photo as evidence"))
        if reason in CALL_REASONS and not d.calls:
            problems.append(N_("Call the customer first"))
        if problems:
            self.problems = problems
            return self.step
        return self._go(Step.NEXT_STEP)

    def choose_next(
        self, kind: str, *, window_start: str = "", window_end: str = "", address: str = ""
    ) -> None:
        self._tap(Step.NEXT_STEP)
        if kind not in NEXT_STEP_LABELS:
            raise FlowError(f"unknown next step {kind!r}")
        d = self.draft
        d.next_kind, d.window_start, d.window_end, d.address = (
            kind,
            window_start.strip(),
            window_end.strip(),
            address.strip(),
        )
        self._changed()

    def confirm(self) -> Step:
        self._tap(Step.NEXT_STEP)
        self.problems = self._next_step_problems()
        if self.problems:
            return self.step
        return self._go(Step.DONE)

    def back(self) -> Step:
        return self._go(back_of(NAVMAP, self.step))

    def next_step(self) -> dict[str, Any]:
        d = self.draft
        out: dict[str, Any] = {"kind": d.next_kind}
        if d.next_kind == "new_window":
            out["window_start"], out["window_end"] = d.window_start, d.window_end
        if d.next_kind == "redirect":
            out["address"] = d.address
        return out

    def _next_step_problems(self) -> list[str]:
        d = self.draft
        if not d.next_kind:
            return [N_("Choose the next step agreed with the customer")]
        if d.next_kind == "new_window":
            try:
                start, end = datetime.fromisoformat(d.window_start), datetime.fromisoformat(d.window_end)
            except ValueError:
                return [N_("Give the new time window (start and end)")]
            if start.tzinfo is None or end.tzinfo is None or end <= start:
                return [N_("Give the new time window (start and end)")]
        if d.next_kind == "redirect" and len(d.address) < 5:
            return [N_("Enter the new address")]
        return []

    def _tap(self, step: Step) -> None:
        if self.step is not step:
            raise FlowError(f"not at {step} (at {self.step})")
        self.taps += 1

    def _go(self, step: Step) -> Step:
        self.problems = []
        self.step = step
        self._changed()
        return step


def local_iso(text: str, tz: tzinfo) -> str:
    """A time the courier keyed in ("2026-11-25 09:00", or ISO) as an ISO string in the station's zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=tz)).isoformat()
