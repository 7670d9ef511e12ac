"""Delivering a parcel as a UI-free state machine: scan the parcel, then the proof. Plain Python.

    scan → proof → done

The proof starts filled with what is most common (signature, by the recipient, whose name is on the
parcel), so the usual delivery is: scan, sign, "Delivered" (one tap). Required parts are the
server's (backend ProofInput.validate) checked here first, so a proof missing a part is refused on
the handheld with the reason, not accepted and rejected hours later by the sync.

Taps are counted: every call a screen makes for a button or field is one tap; the scan (hardware
key or camera) and the signature strokes are not taps. The UI tests assert the total.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from mobile.devices.location import Fix
from mobile.flows.navmap import FlowError, StepSpec, back_of
from mobile.handling import ID_TYPE_LABELS, REFUSED
from mobile.i18n import N_
from parcelkit.rules import handling as handling_rules
from parcelkit.rules import locker as locker_rules
from parcelkit.rules.pickup import last4_ok
from parcelkit.rules.tracking import normalise

METHODS = ("signature", "photo", "code", "station", "locker")
RELATIONS = ("self", "family", "colleague", "guard", "locker", "station")
METHOD_LABELS = {
    "signature": N_("Signature"),
    "photo": N_("Photo"),
    "code": N_("Pickup code"),
    "station": N_("Handed to station"),
    "locker": N_("Put in locker"),
}
RELATION_LABELS = {
    "self": N_("Recipient"),
    "family": N_("Family"),
    "colleague": N_("Colleague"),
    "guard": N_("Guard / reception"),
    "locker": N_("Locker"),
    "station": N_("Station"),
}
# Who may agree to a locker or station on the recipient's behalf (the on-the-spot consent's relation).
CONSENT_RELATIONS = ("self", "family", "colleague", "guard")
_CODE = re.compile(r"^\d{4,8}$")


class Step(StrEnum):
    SCAN = "scan"
    PROOF = "proof"
    DONE = "done"


NAVMAP: dict[Step, StepSpec[Step]] = {
    Step.SCAN: StepSpec(next=Step.PROOF),
    Step.PROOF: StepSpec(next=Step.DONE, back=Step.SCAN),
    Step.DONE: StepSpec(next=None),
}


@dataclass
class ProofDraft:
    method: str = "signature"
    relation: str = "self"
    recipient_name: str = ""
    signature_png: bytes = b""
    photos: list[tuple[bytes, str]] = field(default_factory=list)
    code: str = ""
    cod_collected: bool = False
    fix: Fix | None = None
    # A locker: where the parcel is and the locker's code. A locker or station: the consent taken
    # on the spot (parcelkit/rules/locker.py) when the job carries no customer's answer.
    locker_compartment: str = ""
    locker_code: str = ""
    consent_name: str = ""
    consent_relation: str = "self"
    consent_call_record: str = ""
    # An id_check / high_value parcel (parcelkit/rules/handling.py): the document shown, and
    # whether the courier finished the ID step (it comes before the signature).
    id_type: str = ""
    id_last4: str = ""
    id_checked: bool = False


class DeliveryFlow:
    def __init__(
        self, job: dict[str, Any], *, scanned: str = "", locate: Callable[[], Fix | None] = lambda: None
    ) -> None:
        if job["kind"] != "delivery":
            raise FlowError(f"job {job['id']} is a {job['kind']}, not a delivery")
        self.job = job
        self.locate = locate
        shipment = job["shipment"]
        self.tracking_no = str(shipment.get("tracking_no") or "")
        self.cod_amount_fen = int(shipment.get("cod_amount_fen") or 0)
        self.recipient = str(shipment.get("recipient_name") or "")
        self.handling = list(shipment.get("handling") or [])
        # Consent by phone is most often the recipient's own: their name is the default.
        self.draft = ProofDraft(recipient_name=self.recipient, consent_name=self.recipient)
        self.step = Step.SCAN
        self.taps = 0
        self.problems: list[str] = []
        # Called after every change: the core writes the draft to the store (mobile/offline/drafts.py).
        self.on_change: Callable[[DeliveryFlow], None] = lambda _flow: None
        if scanned:
            self.scan(scanned)

    def snapshot(self) -> dict[str, Any]:
        """The draft and the step, JSON-ready but for bytes: what a restart resumes from."""
        return {"job_id": int(self.job["id"]), "step": self.step.value, "draft": asdict(self.draft)}

    @classmethod
    def restore(
        cls, job: dict[str, Any], saved: dict[str, Any], *, locate: Callable[[], Fix | None] = lambda: None
    ) -> DeliveryFlow:
        flow = cls(job, locate=locate)
        d = dict(saved["draft"])
        d["photos"] = [(bytes(p[0]), str(p[1])) for p in d.get("photos", [])]
        d["signature_png"] = bytes(d.get("signature_png") or b"")
        d["fix"] = tuple(d["fix"]) if d.get("fix") else None
        flow.draft = ProofDraft(**d)
        flow.step = Step(saved["step"])
        return flow

    # -- the scan ------------------------------------------------------------------------------
    def scan(self, code: str) -> Step:
        if self.step is not Step.SCAN:
            raise FlowError("the parcel is already scanned")
        if normalise(code) != self.tracking_no:
            self.problems = [N_("This is not the parcel of this job")]
            return self.step
        return self._go(Step.PROOF)

    # -- proof: each call is one tap -----------------------------------------------------------
    def choose_method(self, method: str) -> None:
        self._tap()
        if method not in METHODS:
            raise FlowError(f"unknown proof method {method!r}")
        self.draft.method = method
        if method in locker_rules.NEEDS_CONSENT:
            self.draft.relation = method
        elif self.draft.relation in locker_rules.NEEDS_CONSENT:
            self.draft.relation, self.draft.recipient_name = "self", self.recipient
        self.on_change(self)

    def choose_relation(self, relation: str) -> None:
        self._tap()
        if relation not in RELATIONS:
            raise FlowError(f"unknown recipient relation {relation!r}")
        if relation != self.draft.relation and self.draft.relation == "self":
            # Someone else signs: their name is asked for, the recipient's must not stay by default.
            self.draft.recipient_name = ""
        self.draft.relation = relation
        self.on_change(self)

    def set_recipient_name(self, name: str) -> None:
        self._tap()
        self.draft.recipient_name = name.strip()
        self.on_change(self)

    def set_code(self, code: str) -> None:
        self._tap()
        self.draft.code = code.strip()
        self.on_change(self)

    def set_locker_compartment(self, compartment: str) -> None:
        """The compartment, as printed on the locker."""
        self._tap()
        self.draft.locker_compartment = compartment.strip().upper()
        self.on_change(self)

    def set_locker_code(self, code: str) -> None:
        """The code the locker gave for this compartment (what opens it for the recipient)."""
        self._tap()
        self.draft.locker_code = code.strip()
        self.on_change(self)

    def set_consent_name(self, name: str) -> None:
        self._tap()
        self.draft.consent_name = name.strip()[: locker_rules.MAX_LENGTH["consent_name"]]
        self.on_change(self)

    def choose_consent_relation(self, relation: str) -> None:
        self._tap()
        if relation not in CONSENT_RELATIONS:
            raise FlowError(f"unknown consent relation {relation!r}")
        self.draft.consent_relation = relation
        self.on_change(self)

    def set_call_record(self, record: str) -> None:
        """The call in which the consent was given: when, which number (as the courier notes it)."""
        self._tap()
        self.draft.consent_call_record = record.strip()[: locker_rules.MAX_LENGTH["consent_call_record"]]
        self.on_change(self)

    # -- the ID step (id_check / high_value only): type, last 4, then "ID checked" -------------
    def choose_id_type(self, id_type: str) -> None:
        self._tap()
        if id_type not in ID_TYPE_LABELS:
            raise FlowError(f"unknown ID type {id_type!r}")
        self.draft.id_type, self.draft.id_checked = id_type, False
        self.on_change(self)

    def set_id_last4(self, last4: str) -> None:
        self._tap()
        self.draft.id_last4, self.draft.id_checked = last4.strip().upper()[:4], False
        self.on_change(self)

    def confirm_id(self) -> bool:
        """The courier checked the document: the signature may follow (``problems`` when not)."""
        self._tap()
        self.problems = self._id_missing()
        self.draft.id_checked = not self.problems
        self.on_change(self)
        return self.draft.id_checked

    @property
    def flags(self) -> list[str]:
        """The handling flags to show, in chip order (parcelkit/rules/handling.py)."""
        return handling_rules.shown(self.handling)

    @property
    def needs_id(self) -> bool:
        return handling_rules.needs_id(self.handling)

    @property
    def id_step_open(self) -> bool:
        """The ID step stands before the signature pad until the document is recorded."""
        return (
            self.needs_id
            and not self.draft.id_checked
            and self.draft.method not in locker_rules.NEEDS_CONSENT
        )

    def _id_missing(self) -> list[str]:
        out = []
        if self.draft.id_type not in ID_TYPE_LABELS:
            out.append(N_("ID check: choose the ID type"))
        if not last4_ok(self.draft.id_last4):
            out.append(N_("ID check: enter the last 4 of the ID number"))
        return out

    @property
    def needs_consent(self) -> bool:
        return self.draft.method in locker_rules.NEEDS_CONSENT

    @property
    def consent_id(self) -> int | None:
        """The customer's recorded answer for this method (the job's agreed next step), if any."""
        step = self.job.get("next_step") or {}
        wanted = locker_rules.CONSENT_STEP_OF.get(self.draft.method)
        found = step.get("consent_id")
        if wanted is None or step.get("kind") != wanted or not isinstance(found, int):
            return None
        return found

    def add_photo(self, data: bytes, content_type: str = "image/jpeg") -> None:
        self._tap()
        self.draft.photos.append((data, content_type))
        self.on_change(self)

    def confirm_cod(self) -> None:
        self._tap()
        self.draft.cod_collected = True  # cash in the courier's hand: it must survive a crash
        self.on_change(self)

    def set_signature(self, png: bytes) -> None:
        """The signature pad's image (drawing is not a tap)."""
        self._at(Step.PROOF)
        if self.id_step_open:
            raise FlowError("the ID step comes before the signature")
        self.draft.signature_png = png
        self.on_change(self)

    def confirm(self) -> Step:
        self._tap()
        self.problems = self.missing()
        if self.problems:
            return self.step
        self.draft.fix = self.locate()  # the GPS stamp is taken when the courier confirms
        return self._go(Step.DONE)

    def back(self) -> Step:
        return self._go(back_of(NAVMAP, self.step))

    # -- rules ---------------------------------------------------------------------------------
    def missing(self) -> list[str]:
        """What the proof still lacks (msgids), as the server would refuse it."""
        d, out = self.draft, []
        if d.method == "signature":
            if not d.signature_png:
                out.append(N_("The recipient has not signed"))
            if not d.recipient_name:
                out.append(N_("Who signed? Enter the name"))
        elif d.method == "photo" and not d.photos:
            out.append(N_("Take a photo of the parcel at the door"))
        elif d.method == "code" and not _CODE.match(d.code):
            out.append(N_("Enter the pickup code (4 to 8 digits)"))
        elif d.method == "locker" and not d.photos:
            out.append(N_("Take a photo of the closed locker"))
        if d.method == "locker":
            if not locker_rules.compartment_ok(d.locker_compartment):
                out.append(N_("Enter the compartment number"))
            if not locker_rules.code_ok(d.locker_code):
                out.append(N_("Enter the locker code (4 to 10 digits)"))
        if d.method in locker_rules.NEEDS_CONSENT:
            if d.relation != d.method:
                out.append(N_("The recipient relation must match the place"))
            if self.consent_id is None:
                out += self._consent_missing()
        if self.cod_amount_fen and not d.cod_collected:
            out.append(N_("Collect the cash on delivery amount first"))
        return self._handover_missing() + out  # the ID step first: it comes before the signature

    def _handover_missing(self) -> list[str]:
        """The server's rule for an id_check / high_value parcel, said before the op is queued."""
        d = self.draft
        refused = handling_rules.check_handover(
            self.handling, method=d.method, relation=d.relation, id_type=d.id_type, id_last4=d.id_last4
        )
        if refused in REFUSED:
            return [REFUSED[refused]]
        if refused is not None:
            return self._id_missing()
        if self.needs_id and not d.id_checked:
            return [N_("ID check: confirm the recipient's ID first")]
        return []

    def _consent_missing(self) -> list[str]:
        d, out = self.draft, []
        if not d.consent_name:
            out.append(N_("Consent needed: who agreed?"))
        if d.consent_relation not in CONSENT_RELATIONS:
            out.append(N_("Consent needed: choose the relation"))
        if not d.consent_call_record:
            out.append(N_("Consent needed: note the call"))
        return out

    def result(self) -> tuple[dict[str, Any], list[tuple[bytes, str]], dict[str, float] | None]:
        """(proof, files, where) for Actions.record_deliver."""
        if self.step is not Step.DONE:
            raise FlowError("the delivery is not confirmed")
        d = self.draft
        files = ([(d.signature_png, "image/png")] if d.method == "signature" else []) + list(d.photos)
        proof: dict[str, Any] = {
            "method": d.method,
            "recipient_relation": d.relation,
            "recipient_name": d.recipient_name,
            "code": d.code if d.method == "code" else "",
        }
        if self.cod_amount_fen:
            proof["cod_collected_fen"] = self.cod_amount_fen
        if d.method == "locker":
            proof["locker_compartment"], proof["locker_code"] = d.locker_compartment, d.locker_code
        if self.needs_id:  # the document's type and last 4 only, never the whole number
            proof["id_type"], proof["id_last4"] = d.id_type, d.id_last4
        if self.needs_consent:
            if self.consent_id is not None:
                proof["consent_id"] = self.consent_id
            else:
                proof["consent_name"] = d.consent_name
                proof["consent_relation"] = d.consent_relation
                proof["consent_call_record"] = d.consent_call_record
        where = None
        if d.fix is not None:
            proof["lat"], proof["lng"] = d.fix[0], d.fix[1]
            where = {"lat": d.fix[0], "lng": d.fix[1]}
            if d.fix[2] is not None:
                proof["accuracy_m"] = where["accuracy_m"] = d.fix[2]
        return proof, files, where

    def _tap(self) -> None:
        self._at(Step.PROOF)
        self.taps += 1

    def _at(self, step: Step) -> None:
        if self.step is not step:
            raise FlowError(f"not at {step} (at {self.step})")

    def _go(self, step: Step) -> Step:
        self.problems = []
        self.step = step
        self.on_change(self)
        return step
