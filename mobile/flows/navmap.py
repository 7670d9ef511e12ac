"""What every courier flow shares: a step's neighbours in the navmap, and the error for a misused flow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

S = TypeVar("S", bound=StrEnum)


class FlowError(Exception):
    """A call the current step does not take (a UI bug, not a courier mistake)."""


@dataclass(frozen=True)
class StepSpec(Generic[S]):
    next: S | None
    back: S | None = None


def back_of(navmap: Mapping[S, StepSpec[S]], step: S) -> S:
    target = navmap[step].back
    if target is None:
        raise FlowError(f"no way back from {step}")
    return target
