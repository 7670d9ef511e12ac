"""The vocabularies of a negotiation (no models here, so pure code can import them)."""

from __future__ import annotations

from django.db import models


class NegotiationState(models.TextChoices):
    OFFERED = "offered", "Offered"  # waiting for the customer
    ANSWERED = "answered", "Answered"
    EXPIRED = "expired", "Expired"  # nobody answered by the deadline: the default was applied
    SUPERSEDED = "superseded", "Superseded"  # a newer negotiation for the same job replaced it
    CANCELLED = "cancelled", "Cancelled"


class Trigger(models.TextChoices):
    MORNING = "morning", "Morning prompt"
    FAILED_ATTEMPT = "failed_attempt", "After a failed attempt"
    COURIER = "courier", "Proposed by the courier"
    SUPERVISOR = "supervisor", "Proposed by a supervisor"


class Channel(models.TextChoices):
    LINK = "link", "The customer's page"
    SMS_REPLY = "sms_reply", "SMS reply"
    COURIER_CALL = "courier_call", "The courier's call"
    DEFAULT = "default", "Nobody answered: the default"


class OptionKind(models.TextChoices):
    """What an option does. Each maps to a job ``next_step`` kind (shipments.states.NextStep)."""

    KEEP = "keep", "Keep the planned window"
    WINDOW = "window", "Another time window"
    HOLD_STATION = "hold_station", "Hold at the station"
    HOLD_LOCKER = "hold_locker", "Put in a locker"
    REDIRECT = "redirect", "Deliver to another address"
    RETURN = "return", "Return to sender"
    NEIGHBOUR = "neighbour", "Leave it with a neighbour"
    SAFE_PLACE = "safe_place", "Leave it in a safe place"


# The options that leave the parcel somewhere other than in the recipient's hands: an answer to
# one of them is the recipient's consent, and they can never be the default of a silence.
NEEDS_CONSENT = frozenset(
    {OptionKind.HOLD_STATION, OptionKind.HOLD_LOCKER, OptionKind.NEIGHBOUR, OptionKind.SAFE_PLACE}
)

NEXT_STEP_OF: dict[str, str] = {
    OptionKind.KEEP: "retry",
    OptionKind.WINDOW: "new_window",
    OptionKind.HOLD_STATION: "hold_station",
    OptionKind.HOLD_LOCKER: "hold_locker",
    OptionKind.REDIRECT: "redirect",
    OptionKind.RETURN: "return",
    OptionKind.NEIGHBOUR: "neighbour",
    OptionKind.SAFE_PLACE: "safe_place",
}


class ExceptionKind(models.TextChoices):
    """What a ``SupervisorException`` asks a supervisor to decide."""

    REDIRECT_OUTSIDE_AREA = "redirect_outside_area", "Redirect outside the station's area (transfer)"
    RETURN_PENDING = "return_pending", "Return to sender: confirm"
    PICKUP_CODE_LOCKED = "pickup_code_locked", "Pickup code locked after wrong attempts"


class Decision(models.TextChoices):
    """A supervisor's answer to an exception: do what the customer asked, or do not."""

    ACCEPT = "accept", "Accept"
    DECLINE = "decline", "Decline"
