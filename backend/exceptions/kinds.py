"""What can go wrong at a station that a supervisor must look at (no models here)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExceptionKind(models.TextChoices):
    FAILED_ATTEMPT = "failed_attempt", _("Failed attempt")
    DAMAGED_OR_LOST = "damaged_or_lost", _("Damaged or lost")
    NEGOTIATION_OPEN = "negotiation_open", _("Negotiation open")
    NEGOTIATION_EXPIRED = "negotiation_expired", _("Negotiation expired")
    STALE_PARCEL = "stale_parcel", _("Stale parcel")
    AT_RISK = "at_risk", _("Window at risk")
    COURIER_OFFLINE = "courier_offline", _("Courier offline")
    SYNC_REJECTED = "sync_rejected", _("Rejected sync op")
    OFFLINE_CONFLICT = "offline_conflict", _("Offline fact held for a decision")
    PROOF_MEDIA_MISSING = "proof_media_missing", _("Proof image never arrived")
    INCIDENT = "incident", _("Incident or claim")
    MIS_SORT = "mis_sort", _("Scanned at the wrong station")


class Action(models.TextChoices):
    """What the page offers beside "resolve" (which every item has)."""

    OPEN_SHIPMENT = "open_shipment", _("Open shipment")
    REASSIGN = "reassign", _("Reassign on the board")
    PROPOSE = "propose", _("Propose a time")


class RevealField(models.TextChoices):
    """The contact details a supervisor may unmask, one audited reveal at a time."""

    RECIPIENT_PHONE = "recipient_phone", _("Recipient's phone")
    RECIPIENT_ADDRESS = "recipient_address", _("Recipient's address")
    SENDER_PHONE = "sender_phone", _("Sender's phone")
    SENDER_ADDRESS = "sender_address", _("Sender's address")
