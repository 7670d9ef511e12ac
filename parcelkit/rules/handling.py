"""A parcel's handling flags, and who may take a flagged parcel at the door. Pure, both sides.

The sender's flags travel with the shipment (``handling``). Two of them change the handover:

* ``id_check`` (验证件, the sender asked for 实名签收): only the recipient in person (本人) may take
  it, and shows an identity document; the courier records its type and the last four characters.
* ``high_value`` (高价值): handed over in person only — the recipient, or a family member or
  colleague who shows *their own* document (代签 with the signer's ID recorded). Never a guard or
  reception, a neighbour, a safe place, a locker or a station (驿站): those leave no one whose
  identity was checked.

The server refuses a delivery breaking these (``ProofInput.validate``); the handheld checks the same
function before it queues the ``deliver`` op, so the courier is told at the door. Only the document
type and its last four characters are kept, never the whole number (as the pickup's 实名 check,
``parcelkit/rules/pickup.py``, whose document types this reuses).
"""

from __future__ import annotations

from parcelkit.rules.pickup import ID_TYPES, last4_ok

CALL_BEFORE = "call_before"
ID_CHECK = "id_check"
HIGH_VALUE = "high_value"
FRAGILE = "fragile"
KEEP_UPRIGHT = "keep_upright"
# The flags a courier is shown, in the order of their chips (liquid is the sorting centre's).
SHOWN = (CALL_BEFORE, ID_CHECK, HIGH_VALUE, FRAGILE, KEEP_UPRIGHT)
NEEDS_ID = frozenset({ID_CHECK, HIGH_VALUE})
# Who may sign for a high-value parcel showing their own document; an id_check parcel: SELF only.
SELF = "self"
IN_PERSON = frozenset({SELF, "family", "colleague"})
NOT_IN_PERSON_METHODS = frozenset({"locker", "station"})

# The refusals, as the server's error codes (backend/common/errors.py) and the handheld's messages.
NOT_IN_PERSON = "handover_in_person_required"
SELF_ONLY = "id_check_self_only"
ID_MISSING = "id_check_required"


def shown(handling: object) -> list[str]:
    """The flags to show as chips, in chip order; unknown or non-text entries are left out."""
    flags = set(handling) if isinstance(handling, list | tuple | set | frozenset) else set()
    return [f for f in SHOWN if f in flags]


def needs_id(handling: object) -> bool:
    return bool(NEEDS_ID.intersection(shown(handling)))


def check_handover(
    handling: object, *, method: str, relation: str, id_type: object, id_last4: object
) -> str | None:
    """The refusal code for this handover of a parcel with these flags, or None when it may go."""
    flags = set(shown(handling))
    if not flags & NEEDS_ID:
        return None
    if method in NOT_IN_PERSON_METHODS or relation not in IN_PERSON:
        return NOT_IN_PERSON
    if ID_CHECK in flags and relation != SELF:
        return SELF_ONLY
    if id_type not in ID_TYPES or not last4_ok(id_last4):
        return ID_MISSING
    return None
