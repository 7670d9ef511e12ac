"""What the pickup screens accept, and the label every pickup prints: pure functions, no devices.

The backend imports ``waybill_label`` so a label printed by the station is the one the handheld
printed; the inspection rules mirror ``PickupInput.validate`` (a backend test checks they agree).
"""

from __future__ import annotations

import re
from typing import TypeGuard

from parcelkit.labels.layout import LabelData

CONTENTS_PHOTO_THRESHOLD_FEN = 100_000
PAYMENT_METHODS = frozenset({"cash", "wechat", "alipay", "monthly_account", "receiver_pays"})
MAX_SIDE_MM = 3000
MAX_PIECES = 999
MAX_WEIGHT_G = 1_000_000
MAX_DECLARED_FEN = 10**12
SERVICE_LABELS = {"standard": "标准快递 Standard", "express": "特快 Express", "same_day": "当日达 Same day"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _int_in(value: object, low: int, high: int) -> TypeGuard[int]:
    # bool is an int subclass; a checkbox value is not a weight.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_manual_weight(weight_g: object, reason: object) -> list[str]:
    problems = []
    if not _int_in(weight_g, 1, MAX_WEIGHT_G):
        problems.append(f"key in the weight in grams (1–{MAX_WEIGHT_G})")
    if not isinstance(reason, str) or not reason.strip():
        problems.append("say why the weight is keyed in by hand (for example: scale broken)")
    return problems


# 实名收寄: the sender's identity document is checked at the door and recorded (type, the last
# four characters of its number, the name on it), never the whole number.
ID_TYPES = ("resident_id", "passport", "hk_macau_permit", "taiwan_permit", "other")
_LAST4 = re.compile(r"^[0-9A-Za-z]{4}$")


def last4_ok(last4: object) -> bool:
    """The last four characters of a document number (digits or letters: an ID may end in X)."""
    return isinstance(last4, str) and _LAST4.match(last4.strip()) is not None


def check_real_name(id_type: object, last4: object, name: object) -> list[str]:
    problems = []
    if id_type not in ID_TYPES:
        problems.append(f"choose the sender's ID type: {', '.join(ID_TYPES)}")
    if not last4_ok(last4):
        problems.append("key in the last 4 characters of the sender's ID number")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
        problems.append("key in the name on the sender's ID")
    return problems


def check_dimensions(length_mm: object, width_mm: object, height_mm: object, pieces: object) -> list[str]:
    sides = {"length": length_mm, "width": width_mm, "height": height_mm}
    problems = [
        f"{name} must be 1–{MAX_SIDE_MM} mm" for name, v in sides.items() if not _int_in(v, 1, MAX_SIDE_MM)
    ]
    if not _int_in(pieces, 1, MAX_PIECES):
        problems.append(f"pieces must be 1–{MAX_PIECES}")
    return problems


def check_inspection(
    prohibited_items_absent: object, declared_value_fen: object, photo_sha256: object
) -> list[str]:
    problems = []
    if prohibited_items_absent is not True:
        problems.append("confirm the parcel holds no prohibited items, or refuse the pickup")
    if not _int_in(declared_value_fen, 0, MAX_DECLARED_FEN):
        problems.append("the declared value must be 0 or more fen")
    elif declared_value_fen > CONTENTS_PHOTO_THRESHOLD_FEN and not (
        isinstance(photo_sha256, str) and _SHA256.match(photo_sha256)
    ):
        problems.append(
            f"photograph the contents: the declared value is over {CONTENTS_PHOTO_THRESHOLD_FEN // 100} yuan"
        )
    return problems


def check_payment(method: object) -> list[str]:
    if method in PAYMENT_METHODS:
        return []
    return [f"choose how the customer pays: {', '.join(sorted(PAYMENT_METHODS))}"]


def waybill_label(
    *,
    tracking_no: str,
    service_level: str,
    destination_region: str,
    origin: str,
    weight_g: int,
    sender: tuple[str, str, str],
    recipient: tuple[str, str, str],
    cod_amount_fen: int = 0,
    piece_no: int = 1,
    piece_count: int = 1,
) -> LabelData:
    """The label of one piece; the server (``GET …/label``) builds it with this same function."""
    return LabelData(
        tracking_no=tracking_no,
        service_level=SERVICE_LABELS.get(service_level, service_level),
        # Sorting goes by destination region; a parcel without one is sorted back at its origin.
        sort_code=destination_region or origin,
        weight_g=weight_g,
        sender_name=sender[0],
        sender_phone=sender[1],
        sender_address=sender[2],
        recipient_name=recipient[0],
        recipient_phone=recipient[1],
        recipient_address=recipient[2],
        cod_amount_fen=cod_amount_fen,
        piece_no=piece_no,
        piece_count=piece_count,
    )
