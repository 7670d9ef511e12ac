from __future__ import annotations

from typing import Any

from backend.incidents.services.incidents import IncidentInput

# The evidence each seeded playbook asks of a person (0002_seed_playbooks).
EVIDENCE: dict[str, dict[str, Any]] = {
    "loss": {"description": "包裹不见了"},
    "damage": {"description": "外箱破损", "photo_sha256": ("a" * 64,)},
    "delay": {},
    "misdelivery": {"description": "送错了楼"},
    "data_leak": {"description": "面单被拍照外传"},
    "vehicle_accident": {"description": "三轮车被撞", "photo_sha256": ("b" * 64,)},
    "weather_road": {"description": "道路积水"},
}


def incident_input(kind: str, **extra: Any) -> IncidentInput:
    return IncidentInput(incident_type=kind, **{**EVIDENCE[kind], **extra})
