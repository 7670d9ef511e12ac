"""What a pickup at the door has gathered so far, and its JSON form for the draft store. Plain Python.

The draft is written to the courier's store after every change (mobile/offline/drafts.py, as for a
delivery or a failed attempt), so a kill mid-pickup resumes at the step it was at, with the price
the customer accepted and the waybill number already taken (issue 17). The contents photo is kept
here as bytes until the op is recorded; its hash is what the op carries.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from parcelkit.rules.pricing import Quote, QuoteLine


@dataclass
class Draft:
    weight_g: int | None = None
    weight_source: str = ""
    scale_model: str = ""
    manual_reason: str = ""
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    pieces: int = 1
    declared_value_fen: int = 0
    prohibited_items_absent: bool = False
    contents_photo_sha256: str = ""
    contents_photo: bytes = b""  # the photo itself, attached to the op when it is recorded
    contents_photo_type: str = ""
    sender_id_type: str = ""  # 实名: the ID's type, its last 4 characters, the name on it
    sender_id_last4: str = ""
    sender_real_name: str = ""
    quote: Quote | None = None
    payment_method: str = ""
    tracking_no: str = ""
    preview_png: bytes = b""
    zpl: bytes = b""
    label_printed: bool = False

    def set_contents_photo(self, data: bytes, content_type: str) -> None:
        self.contents_photo, self.contents_photo_type = data, content_type
        self.contents_photo_sha256 = hashlib.sha256(data).hexdigest()

    def photos(self) -> list[tuple[bytes, str]]:
        return [(self.contents_photo, self.contents_photo_type)] if self.contents_photo else []


def to_json(draft: Draft) -> dict[str, Any]:
    """JSON-ready but for bytes (the draft store encodes those)."""
    return asdict(draft)


def from_json(saved: dict[str, Any]) -> Draft:
    d = dict(saved)
    quote = d.pop("quote", None)
    for name in ("contents_photo", "preview_png", "zpl"):
        d[name] = bytes(d.get(name) or b"")
    draft = Draft(**d)
    if quote is not None:
        # The price the customer was shown is kept as it was: a tariff pulled since must not change it.
        lines = tuple(QuoteLine(**line) for line in quote["lines"])
        draft.quote = Quote(**{**quote, "lines": lines})
    return draft
