"""What the pickup flow's problems say to the courier, in the catalogues' words. Pure.

The flow and the shared rules (parcelkit/rules/pickup.py, the pricing's QuoteError) word their
problems in plain English for their tests and the server; the courier reads these msgids instead
(issue 17: no English on a Chinese screen), in kg and cm where the rules speak of g and mm.
"""

from __future__ import annotations

import re

from mobile.i18n import N_

EXACT = {
    "no scale connected: key in the weight and say why": N_(
        "No scale connected: key in the weight and say why"
    ),
    "the scale reads 0 g: put the parcel on the platform": N_(
        "The scale reads 0 g: put the parcel on the platform"
    ),
    "key in the last 4 characters of the sender's ID number": N_(
        "Key in the last 4 characters of the sender's ID number"
    ),
    "key in the name on the sender's ID": N_("Key in the name on the sender's ID"),
    "confirm the parcel holds no prohibited items, or refuse the pickup": N_(
        "Confirm the parcel holds no prohibited items, or refuse the pickup"
    ),
    "no price for this parcel": N_("No price for this parcel: hand it to the supervisor"),
}
# (how the rule's text starts, what the courier reads); first match wins.
PREFIXES = (
    ("choose the sender's ID type", N_("Choose the sender's ID type")),
    ("key in the weight in grams", N_("Key in the weight in kg")),
    ("say why the weight is keyed in by hand", N_("Say why the weight is keyed in by hand")),
    ("length must be", N_("Key in length, width and height in cm")),
    ("width must be", N_("Key in length, width and height in cm")),
    ("height must be", N_("Key in length, width and height in cm")),
    ("pieces must be", N_("Key in the number of pieces")),
    ("the declared value must be", N_("The insured value must be 0 or more")),
    ("photograph the contents", N_("Photograph the contents: the insured value is over 1,000 yuan")),
    ("choose how the customer pays", N_("Choose how the customer pays")),
    ("no printer paired", N_("No printer paired: pair one in Settings or skip printing")),
    ("scale", N_("The scale gave no weight: check it, or key in the weight and say why")),
)
QUOTE_CODES = {
    "weight_over_limit": N_("Too heavy for this service"),
    "weight_not_positive": N_("Key in the weight in kg"),
    "dimension_out_of_range": N_("A side is too long for this service"),
    "declared_value_over_cap": N_("The insured value is over the limit"),
    "amount_negative": N_("The insured value must be 0 or more"),
    "no_tariff_for_destination": N_("No tariff for this destination: hand it to the supervisor"),
}
FALLBACK = N_("Could not go on: try again, or hand it to the supervisor")
_CODE = re.compile(r"\((\w+)\)$")


def msgid(problem: str) -> str:
    """The msgid to show for one problem of the pickup flow."""
    if problem in EXACT:
        return EXACT[problem]
    for start, text in PREFIXES:
        if problem.startswith(start):
            return text
    code = _CODE.search(problem)
    if code is not None:  # a refused price: "message (code)"
        return QUOTE_CODES.get(code.group(1), FALLBACK)
    return FALLBACK
