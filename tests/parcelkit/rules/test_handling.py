"""Who may take a flagged parcel: the one rule the handheld and the server both run."""

from __future__ import annotations

import pytest

from parcelkit.rules.handling import check_handover, needs_id, shown

ID = {"id_type": "resident_id", "id_last4": "002X"}


def test_the_shown_flags_keep_chip_order_and_drop_the_unknown() -> None:
    assert shown(["liquid", "fragile", "id_check", 7, "call_before"]) == [
        "call_before",
        "id_check",
        "fragile",
    ]
    assert shown(None) == [] and shown("id_check") == []  # a string is not a list of flags
    assert needs_id(["high_value"]) and needs_id(["id_check"]) and not needs_id(["fragile", "call_before"])


@pytest.mark.parametrize(
    ("flags", "method", "relation", "ident", "refused"),
    [
        (["fragile"], "locker", "locker", {}, None),
        (["id_check"], "signature", "self", ID, None),
        (["id_check"], "code", "self", ID, None),
        (["id_check"], "signature", "self", {}, "id_check_required"),
        (["id_check"], "signature", "self", {**ID, "id_last4": "11010519491231002X"}, "id_check_required"),
        (["id_check"], "signature", "self", {**ID, "id_type": "student_card"}, "id_check_required"),
        (["id_check"], "signature", "family", ID, "id_check_self_only"),
        (["id_check", "high_value"], "photo", "colleague", ID, "id_check_self_only"),
        (["high_value"], "signature", "family", ID, None),
        (["high_value"], "photo", "colleague", ID, None),
        (["high_value"], "photo", "guard", ID, "handover_in_person_required"),
        (["high_value"], "photo", "neighbour", ID, "handover_in_person_required"),
        (["high_value"], "locker", "locker", ID, "handover_in_person_required"),
        (["id_check"], "station", "station", ID, "handover_in_person_required"),
    ],
)
def test_check_handover(
    flags: list[str], method: str, relation: str, ident: dict[str, str], refused: str | None
) -> None:
    got = check_handover(
        flags,
        method=method,
        relation=relation,
        id_type=ident.get("id_type", ""),
        id_last4=ident.get("id_last4", ""),
    )
    assert got == refused
