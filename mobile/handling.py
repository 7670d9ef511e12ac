"""The handling flags a courier is shown, and the ID documents the door's ID step offers. Pure.

The rule of who may take a flagged parcel is ``parcelkit/rules/handling.py`` (the server's too);
this module only names things for the screens, as msgids translated through the catalogues.
"""

from __future__ import annotations

from mobile.i18n import N_
from parcelkit.rules import handling as rules

FLAG_LABELS = {
    rules.CALL_BEFORE: N_("Call first"),
    rules.ID_CHECK: N_("ID check"),
    rules.HIGH_VALUE: N_("High value"),
    rules.FRAGILE: N_("Fragile"),
    rules.KEEP_UPRIGHT: N_("This way up"),
}
# The documents offered as chips, as at a pickup's real-name check (parcelkit/rules/pickup.py ID_TYPES).
ID_TYPE_LABELS = {
    "resident_id": N_("ID card"),
    "passport": N_("Passport"),
    "hk_macau_permit": N_("HK/Macau/Taiwan permit"),
    "other": N_("Other ID"),
}
# What the courier is told when the rule refuses the handover (msgids).
REFUSED = {
    rules.NOT_IN_PERSON: N_(
        "ID check / high value: hand it over in person, not to a locker, station or guard"
    ),
    rules.SELF_ONLY: N_("ID check: only the recipient in person may sign"),
}


def flag_labels(handling: object) -> list[str]:
    """The msgids of the flags to show, in chip order."""
    return [FLAG_LABELS[f] for f in rules.shown(handling)]
