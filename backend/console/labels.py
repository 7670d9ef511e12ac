"""The console's labels for the status codes and choices other apps store (in the user's language).

The apps' ``TextChoices`` labels are English and not marked for translation (the API and the
handheld use the codes). The console shows them in the supervisor's language: each label's English
text is a message id of the console's catalogue (``locale/zh_Hans``), listed below for
``makemessages``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, gettext_noop


def label(choices: type[models.TextChoices], value: str) -> str:
    """``value``'s label in the active language; an unknown code is shown as it is."""
    return gettext(str(choices(value).label)) if value in choices.values else value


MESSAGE_IDS = (
    gettext_noop("Unassigned"),
    gettext_noop("Assigned"),
    gettext_noop("Accepted"),
    gettext_noop("On the way"),
    gettext_noop("Arrived"),
    gettext_noop("Completed"),
    gettext_noop("Failed"),
    gettext_noop("Cancelled"),
    gettext_noop("Created"),
    gettext_noop("Picked up"),
    gettext_noop("At station"),
    gettext_noop("Out for delivery"),
    gettext_noop("Delivered"),
    gettext_noop("Delivery attempt failed"),
    gettext_noop("Held for collection"),
    gettext_noop("Returning to sender"),
    gettext_noop("Returned to sender"),
    gettext_noop("Exception"),
    gettext_noop("Pickup"),
    gettext_noop("Delivery"),
    gettext_noop("Shipment created"),
    gettext_noop("Arrived at station"),
    gettext_noop("Sorted"),
    gettext_noop("Loaded out for delivery"),
    gettext_noop("Assigned to courier"),
    gettext_noop("Accepted by courier"),
    gettext_noop("Courier on the way"),
    gettext_noop("Courier arrived"),
    gettext_noop("Job cancelled"),
    gettext_noop("Pickup attempt failed"),
    gettext_noop("Recipient not at home"),
    gettext_noop("Wrong address"),
    gettext_noop("Address incomplete"),
    gettext_noop("Refused by recipient"),
    gettext_noop("No access (gate, guard, building)"),
    gettext_noop("Parcel damaged"),
    gettext_noop("Customer asked for another time"),
    gettext_noop("Cash on delivery not ready"),
    gettext_noop("Business closed"),
    gettext_noop("No safe place to leave it"),
    gettext_noop("Vehicle breakdown or severe weather"),
    gettext_noop("Signature"),
    gettext_noop("Photo"),
    gettext_noop("Pickup code"),
    gettext_noop("Handed to station"),
    gettext_noop("Put in locker"),
    gettext_noop("Recipient"),
    gettext_noop("Family"),
    gettext_noop("Colleague"),
    gettext_noop("Guard / reception"),
    gettext_noop("Locker"),
    gettext_noop("Station"),
    gettext_noop("Neighbour"),
    gettext_noop("Safe place"),
    gettext_noop("Offered"),
    gettext_noop("Answered"),
    gettext_noop("Expired"),
    gettext_noop("Superseded"),
    gettext_noop("Morning prompt"),
    gettext_noop("After a failed attempt"),
    gettext_noop("Proposed by the courier"),
    gettext_noop("Proposed by a supervisor"),
    gettext_noop("The customer's page"),
    gettext_noop("SMS reply"),
    gettext_noop("The courier's call"),
    gettext_noop("Nobody answered: the default"),
    gettext_noop("Offline fact held for a decision"),
    gettext_noop("Territory owner"),
    gettext_noop("Cheapest feasible insertion"),
    gettext_noop("Station plan"),
    gettext_noop("Supervisor's choice"),
    gettext_noop("Courier unavailable"),
    gettext_noop("No feasible courier"),
    # The incidents page's resolutions and liable parties (backend.incidents.states).
    gettext_noop("Found"),
    gettext_noop("Compensated"),
    gettext_noop("Closed"),
    gettext_noop("The station"),
    gettext_noop("The courier"),
    gettext_noop("The line-haul carrier"),
    gettext_noop("The sender"),
    gettext_noop("A third party"),
    gettext_noop("Force majeure"),
)
