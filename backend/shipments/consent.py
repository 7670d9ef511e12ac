"""The recipient's consent a locker or station delivery needs (快递市场管理办法, 2024).

A parcel may be put in a locker, left at a station, with a neighbour or in a safe place only with
the recipient's consent: either an
answer recorded by the negotiation app (its id is written on the job by ``job_set_arrangement``
and the proof must name it), or an on-the-spot consent the courier took by phone (who agreed,
their relation, and the call's record). Pure code: the caller holds the job lock.
"""

from __future__ import annotations

from typing import Any

from backend.common.errors import DomainError
from backend.shipments.states import ProofMethod, RecipientRelation

NEEDS_CONSENT = frozenset({ProofMethod.LOCKER, ProofMethod.STATION})
# Signing for the recipient (a neighbour) or leaving the parcel unattended (a safe place) needs it too.
RELATIONS_NEEDING_CONSENT = frozenset({RecipientRelation.NEIGHBOUR, RecipientRelation.SAFE_PLACE})
ON_THE_SPOT_FIELDS = ("name", "relation", "call_record")


def check_consent(
    *,
    method: str,
    consent_id: int | None,
    on_the_spot: dict[str, str],
    next_step: dict[str, Any],
    relation: str = "",
) -> dict[str, Any]:
    """What to record of the consent on the delivery event; ``consent_required`` when there is none."""
    if method not in NEEDS_CONSENT and relation not in RELATIONS_NEEDING_CONSENT:
        return {}
    method = method if method in NEEDS_CONSENT else relation
    if consent_id is not None:
        if next_step.get("consent_id") != consent_id:
            raise DomainError(
                "consent_required",
                f"consent {consent_id} is not the customer's answer for this delivery",
                method=method,
            )
        return {"consent_id": consent_id}
    missing = [f for f in ON_THE_SPOT_FIELDS if not on_the_spot.get(f, "").strip()]
    if missing:
        raise DomainError(
            "consent_required",
            f"a {method} delivery needs the recipient's consent: a consent id, "
            "or the name, relation and call record of a consent taken on the spot",
            method=method,
            missing=missing,
        )
    return {"consent_on_the_spot": {f: on_the_spot[f].strip()[:200] for f in ON_THE_SPOT_FIELDS}}
