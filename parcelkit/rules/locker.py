"""A parcel put in a locker or left at a station (驿站): what its proof must carry. Pure, both sides.

Since 2024 (快递市场管理办法) a parcel may go into a locker or a station only with the recipient's
consent: the id of the customer's answer (negotiation) or a consent the courier took on the spot
by phone — who agreed, their relation to the recipient, and the call's record. A locker proof also
names the compartment and the code that opens it. The server checks these in
``ProofInput.validate`` and ``shipments.consent``; the handheld checks the same before it queues
the ``deliver`` op, so the courier is told at the door, not hours later by the sync.
"""

from __future__ import annotations

import re

LOCKER = "locker"
STATION = "station"
NEEDS_CONSENT = frozenset({LOCKER, STATION})
# The job's agreed next step (``next_step.kind``) whose consent a proof of this method may name.
CONSENT_STEP_OF = {LOCKER: "hold_locker", STATION: "hold_station"}

COMPARTMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,15}")  # as printed on the locker
CODE = re.compile(r"[0-9]{4,10}")  # the locker's own pickup code

# The on-the-spot consent's parts and their longest accepted text (the REST body's limits).
CONSENT_FIELDS = ("consent_name", "consent_relation", "consent_call_record")
MAX_LENGTH = {"consent_name": 64, "consent_relation": 32, "consent_call_record": 200}


def compartment_ok(value: str) -> bool:
    return COMPARTMENT.fullmatch(value.strip()) is not None


def code_ok(value: str) -> bool:
    return CODE.fullmatch(value.strip()) is not None
