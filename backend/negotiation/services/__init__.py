"""The single write path for negotiations: one function per operation.

Each locks the job, its shipment, then the negotiation (that order, always), checks the state,
writes, records a ``NegotiationEvent``, appends to the shipments change feed (published after
commit), and changes the job only through ``backend.shipments.services``.
"""

from backend.negotiation.option import OptionInput
from backend.negotiation.services.answer import AnswerResult, negotiation_answer, negotiation_expire
from backend.negotiation.services.exceptions import supervisor_exception_resolve
from backend.negotiation.services.offer import negotiation_cancel, negotiation_offer
from backend.negotiation.services.prompts import negotiation_prompt, negotiation_prompt_morning
from backend.negotiation.services.station_hold import pickup_hand_over
from backend.negotiation.services.triggers import (
    negotiation_offer_after_failure,
    negotiation_offer_morning,
    negotiation_propose,
)

__all__ = [
    "AnswerResult",
    "OptionInput",
    "negotiation_answer",
    "negotiation_cancel",
    "negotiation_expire",
    "negotiation_offer",
    "negotiation_offer_after_failure",
    "negotiation_offer_morning",
    "negotiation_prompt",
    "negotiation_prompt_morning",
    "negotiation_propose",
    "pickup_hand_over",
    "supervisor_exception_resolve",
]
