"""What the courier brings from the door, validated before any lock: a pickup's measurements and
checks (``PickupInput``) and a delivery's proof (``ProofInput``); the services in ``completion.py``
write them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy

from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates, clean_weight_g
from backend.shipments.consent import check_consent
from backend.shipments.states import (
    ProofMethod,
    RecipientRelation,
)
from parcelkit.rules import cod as cod_rules
from parcelkit.rules import handling as handling_rules
from parcelkit.rules import locker as locker_rules
from parcelkit.rules import pickup as pickup_rules

# The inspection rules are the handheld's own (parcelkit/rules/pickup.py): one copy, both sides.
CONTENTS_PHOTO_THRESHOLD_FEN = pickup_rules.CONTENTS_PHOTO_THRESHOLD_FEN
PAYMENT_METHODS = pickup_rules.PAYMENT_METHODS
MAX_PRICE_FEN = 2**63 - 1  # the bigint column
COD_ONLY_REASONS = cod_rules.COD_ONLY_REASONS  # the handheld hides them likewise
# The refusals of parcelkit/rules/handling.py, said in the request's language (zh-hans or en).
HANDOVER_MESSAGES = {
    handling_rules.NOT_IN_PERSON: gettext_lazy(
        "This parcel (ID check / high value) must be handed over in person: "
        "not to a locker, a station, a guard or a neighbour."
    ),
    handling_rules.SELF_ONLY: gettext_lazy(
        "This parcel needs an ID check: only the recipient in person may sign for it."
    ),
    handling_rules.ID_MISSING: gettext_lazy(
        "This parcel needs an ID check: record the ID type and the last 4 characters of its number."
    ),
}


@dataclass(frozen=True)
class PickupInput:
    measured_weight_g: int
    weight_source: str  # "scale" or "manual"
    scale_model: str = ""
    manual_reason: str = ""
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    pieces: int = 1
    declared_value_fen: int = 0
    prohibited_items_absent: bool = False
    contents_photo_sha256: str = ""
    price_fen: int | None = None
    payment_method: str = "cash"
    payment_ref: str = ""  # a WeChat/Alipay fee paid at the door: the provider's reference
    # The sender's real-name check; optional here (older handhelds), checked whole when given.
    sender_id_type: str = ""
    sender_id_last4: str = ""
    sender_real_name: str = ""

    def validate(self) -> None:
        clean_weight_g(self.measured_weight_g, field="measured_weight_g")
        if self.weight_source not in ("scale", "manual"):
            raise DomainError("invalid", "weight_source must be scale or manual")
        if self.weight_source == "scale" and not self.scale_model:
            raise DomainError("pickup_incomplete", "a scale reading needs the scale model")
        problems: list[str] = []
        if self.weight_source == "manual":
            problems += pickup_rules.check_manual_weight(self.measured_weight_g, self.manual_reason)
        dims = (self.length_mm, self.width_mm, self.height_mm)
        if any(d is not None for d in dims):
            problems += pickup_rules.check_dimensions(*dims, self.pieces)
        elif not 1 <= self.pieces <= pickup_rules.MAX_PIECES:
            problems.append(f"pieces must be 1–{pickup_rules.MAX_PIECES}")
        problems += pickup_rules.check_inspection(
            self.prohibited_items_absent, self.declared_value_fen, self.contents_photo_sha256
        )
        problems += pickup_rules.check_payment(self.payment_method)
        if not isinstance(self.payment_ref, str) or len(self.payment_ref.strip()) > cod_rules.MAX_PAYMENT_REF:
            problems.append(
                f"the payment reference must be text of at most {cod_rules.MAX_PAYMENT_REF} characters"
            )
        if self.sender_id_type or self.sender_id_last4 or self.sender_real_name:
            problems += pickup_rules.check_real_name(
                self.sender_id_type, self.sender_id_last4, self.sender_real_name
            )
        # Checked here, not left to the database's CHECK: a refusal the handheld can show, where an
        # IntegrityError made the sync op answer ``retry`` and the handheld re-send it forever.
        if self.price_fen is not None and not (
            isinstance(self.price_fen, int) and 0 <= self.price_fen <= MAX_PRICE_FEN
        ):
            problems.append("the price must be 0 or more fen")
        if problems:
            # The pickup checklist (inspection, real name, payment…): rules across fields that the
            # handheld shows one by one, so they carry their own code, not the generic ``invalid``.
            raise DomainError("pickup_incomplete", "; ".join(problems), problems=problems)


@dataclass(frozen=True)
class ProofInput:
    method: str
    recipient_relation: str
    recipient_name: str = ""
    media_sha256: list[str] = field(default_factory=list)
    code: str = ""
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    captured_at: datetime | None = None
    # Cash on delivery (parcelkit/rules/cod.py): exactly the amount due, how it was paid and, for a
    # mobile payment, its reference. Written as a ``Collection`` row with the delivery.
    cod_collected_fen: int = 0
    cod_method: str = cod_rules.CASH
    cod_payment_ref: str = ""
    # A locker or station proof needs the recipient's consent (shipments/consent.py): the id of a
    # negotiation answer, or a consent the courier took on the spot by phone.
    consent_id: int | None = None
    consent_name: str = ""
    consent_relation: str = ""
    consent_call_record: str = ""
    # A locker delivery records where the parcel is and the code that opens it (the locker's own).
    locker_compartment: str = ""
    locker_code: str = ""
    # A parcel flagged id_check or high_value (parcelkit/rules/handling.py): the document the
    # person who took it showed — its type and the last four characters, never the whole number.
    id_type: str = ""
    id_last4: str = ""

    def consent(self, next_step: dict[str, Any]) -> dict[str, Any]:
        """The consent to record on the delivery event; ``consent_required`` when it is missing."""
        spot = {
            "name": self.consent_name,
            "relation": self.consent_relation,
            "call_record": self.consent_call_record,
        }
        return check_consent(
            method=self.method,
            consent_id=self.consent_id,
            on_the_spot=spot,
            next_step=next_step,
            relation=self.recipient_relation,
        )

    def locker(self) -> dict[str, Any]:
        """What to record of the locker on the delivery event (empty for other methods)."""
        if self.method != ProofMethod.LOCKER:
            return {}
        return {"locker": {"compartment": self.locker_compartment.strip(), "code": self.locker_code.strip()}}

    def check_handling(self, handling: object) -> None:
        """``id_check``/``high_value``: in person, by whom, with which document (the handheld's rule)."""
        refused = handling_rules.check_handover(
            handling,
            method=self.method,
            relation=self.recipient_relation,
            id_type=self.id_type,
            id_last4=self.id_last4,
        )
        if refused is not None:
            raise DomainError(
                refused, str(HANDOVER_MESSAGES[refused]), handling=handling_rules.shown(handling)
            )

    def validate(self, *, cod_amount_fen: int, delivery_code: str) -> None:
        if self.method not in ProofMethod.values:
            raise DomainError("proof_incomplete", f"unknown proof method {self.method!r}")
        if self.recipient_relation not in RecipientRelation.values:
            raise DomainError("proof_incomplete", f"unknown recipient relation {self.recipient_relation!r}")
        if self.method in (ProofMethod.SIGNATURE, ProofMethod.PHOTO) and not self.media_sha256:
            raise DomainError("proof_incomplete", f"a {self.method} proof needs its image")
        if self.method == ProofMethod.CODE:
            if not self.code:
                raise DomainError("proof_incomplete", "the pickup code is missing")
            if delivery_code and self.code != delivery_code:
                raise DomainError("proof_incomplete", "the pickup code does not match")
        if self.method == ProofMethod.LOCKER:  # the handheld checks the same (parcelkit/rules/locker.py)
            if not locker_rules.compartment_ok(self.locker_compartment):
                raise DomainError(
                    "proof_incomplete",
                    "which compartment? give it as on the locker (1–16 letters, digits, -)",
                )
            if not locker_rules.code_ok(self.locker_code):
                raise DomainError("proof_incomplete", "the locker's pickup code must be 4–10 digits")
        if self.method == ProofMethod.SIGNATURE and not self.recipient_name.strip():
            raise DomainError("proof_incomplete", "who signed? the recipient's name is missing")
        if self.lat is not None or self.lng is not None:
            if self.lat is None or self.lng is None:
                raise DomainError("invalid_coordinates", "give both lat and lng")
            clean_coordinates(self.lat, self.lng)
        problems = cod_rules.check_collection(
            expected_fen=cod_amount_fen,
            collected_fen=self.cod_collected_fen,
            method=self.cod_method,
            payment_ref=self.cod_payment_ref,
        )
        if problems:
            code = "cod_amount_mismatch" if self.cod_collected_fen != cod_amount_fen else "proof_incomplete"
            raise DomainError(code, problems[0], expected_fen=cod_amount_fen)
