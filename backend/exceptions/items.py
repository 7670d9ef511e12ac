"""What every exception source yields and reads: the item, the queue's settings, the source's type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.couriers.models import Station
from backend.exceptions.kinds import ExceptionKind


@dataclass(frozen=True)
class QueueSettings:
    stale_after: timedelta
    offline_after: timedelta
    lookback: timedelta  # how far back closed facts (expired negotiations, rejected ops) are shown

    @classmethod
    def from_settings(cls) -> QueueSettings:
        return cls(
            stale_after=timedelta(hours=settings.PARCELRUN_STALE_PARCEL_HOURS),
            offline_after=timedelta(minutes=settings.PARCELRUN_COURIER_OFFLINE_MINUTES),
            lookback=timedelta(hours=settings.PARCELRUN_EXCEPTION_LOOKBACK_HOURS),
        )


@dataclass(frozen=True)
class ExceptionItem:
    kind: str
    subject: str  # stable key of this occurrence, e.g. "attempt:12"
    since: datetime  # when it became (or will become) a problem
    detail: str  # one line for people, already in the reader's language, contacts masked
    shipment_id: int | None = None
    tracking_no: str = ""
    job_id: int | None = None
    courier_id: int | None = None
    courier_name: str = ""
    actions: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        return str(ExceptionKind(self.kind).label)


Source = Callable[[Station, datetime, QueueSettings], list[ExceptionItem]]


def station_hm(station: Station, at: datetime) -> str:
    """An instant as the station's people read it (month-day hour:minute, the station's zone)."""
    return at.astimezone(ZoneInfo(station.time_zone)).strftime("%m-%d %H:%M")
