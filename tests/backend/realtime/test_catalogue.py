"""The catalogue is a contract: docs/realtime.md shows every type, and every example validates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from backend.realtime.catalogue import CATALOGUE, CLIENT_MESSAGES
from backend.realtime.validation import CatalogueError, _check, validate

DOC = Path(__file__).resolve().parents[3] / "docs" / "realtime.md"


def _sections(title: str) -> dict[str, str]:
    """``### `type` `` headings of one ``## title`` section → the text under each."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^### `([^`]+)`\s*$", body, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _example(section: str) -> Any:
    match = re.search(r"```json\n(.*?)```", section, flags=re.S)
    assert match, "no JSON example"
    return json.loads(match.group(1))


def test_the_docs_show_every_server_message_type_and_nothing_else() -> None:
    assert set(_sections("Server messages")) == set(CATALOGUE)


@pytest.mark.parametrize("type_", sorted(CATALOGUE))
def test_each_documented_example_validates(type_: str) -> None:
    example = _example(_sections("Server messages")[type_])
    assert example["type"] == type_
    validate(example)


def test_client_commands_are_documented_with_valid_examples() -> None:
    sections = _sections("Client messages")
    assert set(CLIENT_MESSAGES) | {"pong"} == set(sections)
    for type_, shape in CLIENT_MESSAGES.items():
        example = _example(sections[type_])
        problems: list[str] = []
        _check(example["payload"], shape, "payload", problems)
        assert example["type"] == type_ and problems == []


REVOKED = {
    "type": "job.revoked",
    "v": 1,
    "cursor": 9,
    "at": "2026-11-24T09:05:00+00:00",
    "payload": {"job_id": 7, "version": 4, "reason": "reassigned"},
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"v": 2}, "v is 2"),
        ({"cursor": None}, "cursor must be a non-negative integer"),
        ({"cursor": True}, "cursor must be a non-negative integer"),
        ({"at": "2026-11-24T09:05:00"}, "at has no time zone"),
        ({"at": "yesterday"}, "not an ISO 8601 time"),
        (
            {"payload": {"job_id": 7, "version": 4, "reason": "reassigned", "job": {}}},
            "payload.job: not in the catalogue",
        ),
        ({"payload": {"job_id": 7, "reason": "reassigned"}}, "payload.version: missing"),
        ({"payload": {"job_id": "7", "version": 4, "reason": "reassigned"}}, "payload.job_id: expected int"),
        ({"payload": {"job_id": 7, "version": 4, "reason": "lost"}}, "is not one of"),
    ],
)
def test_the_validator_names_what_is_wrong(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(CatalogueError, match=re.escape(problem)):
        validate({**REVOKED, **change})


def test_unknown_types_and_non_envelopes_are_refused() -> None:
    with pytest.raises(CatalogueError, match="unknown message type"):
        validate({**REVOKED, "type": "job.teleported"})
    with pytest.raises(CatalogueError, match="not an envelope"):
        validate({**REVOKED, "extra": 1})
    location = {
        "type": "courier.location",
        "v": 1,
        "cursor": 5,
        "at": "2026-11-24T09:05:00+00:00",
        "payload": {"courier_id": 3, "lat": 30.0, "lng": 120.0, "accuracy_m": 5, "recorded_at": "x"},
    }
    with pytest.raises(CatalogueError, match="cursor must be null"):
        validate(location)
