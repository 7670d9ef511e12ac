"""Calling the customer of a job through a virtual number, and the call's own log. Plain Python.

``start`` asks the server for the virtual number bound to the job and to this courier
(``POST /api/v1/jobs/{id}/call``, docs/api.md "Calling"), then dials it through the dialer port
(mobile/devices/dialer.py). The customer's real number is never asked for, never dialled and
never shown. The app measures the call itself: from the dial to the app's return to the
foreground (Android: the courier hung up in the phone app; ``returned``) or, on the desktop, to
the hang-up (the outcome the courier taps; ``end``). The call then becomes a ``call_log`` op
whose event time is the dial and whose duration is the measured one, never typed in.

No network, no number: the server binds it, so offline there is no call (a clear message says
so; the courier may still note an outcome by hand on the failed-attempt screen).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mobile.core.session import SessionKeeper
from mobile.devices.dialer import DialerPort
from mobile.devices.ports import DeviceError
from mobile.flows.failed_attempt import CALL_OUTCOME_LABELS
from mobile.i18n import N_
from mobile.offline.sync import Transport, TransportError

NO_NETWORK = N_("No network: cannot get the virtual number")
# What a refusal of the binding means to the courier, by the server's error code.
REFUSED = {
    "not_assigned_to_you": N_("Not your job any more: it was given to another courier"),
    "not_found": N_("Not your job any more: it was given to another courier"),
    "job_closed": N_("This job is closed: no call through it"),
    "virtual_number_unavailable": N_("No virtual number free right now: try again in a minute"),
}
OTHER_REFUSAL = N_("The server gave no virtual number: try again, or ask the station")


class CallUnavailable(Exception):
    """No call this time; ``message`` (a msgid) says why, in words for the courier."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class VirtualNumber:
    number: str
    extension: str
    dial: str
    expires_at: str

    @classmethod
    def from_reply(cls, body: Any) -> VirtualNumber:
        if not isinstance(body, dict) or not isinstance(body.get("dial"), str):
            raise CallUnavailable(OTHER_REFUSAL)
        return cls(
            number=str(body.get("number", "")),
            extension=str(body.get("extension", "")),
            dial=body["dial"],
            expires_at=str(body.get("expires_at", "")),
        )


@dataclass
class ActiveCall:
    job_id: int
    number: VirtualNumber
    started_at: datetime  # the wall clock at the dial: the call log's event time
    started: float  # the monotonic clock at the dial: the measured duration's start
    returned: float | None = None  # the app came back to the foreground (the call was hung up)


@dataclass(frozen=True)
class MeasuredCall:
    job_id: int
    outcome: str
    duration_s: int
    started_at: datetime


class CallDesk:
    def __init__(
        self,
        sessions: SessionKeeper,
        *,
        dialer: DialerPort,
        connect: Callable[[str], Transport],
        recorded: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.dialer = dialer
        self.connect = connect
        self.recorded = recorded
        self.clock = clock
        self.now = now
        self.active: ActiveCall | None = None

    def start(self, job_id: int) -> ActiveCall:
        """Get the job's virtual number and dial it; ``CallUnavailable`` when there is none."""
        session = self.sessions.session
        if session is None or self.sessions.store is None or self.sessions.store.job(job_id) is None:
            raise CallUnavailable(REFUSED["not_found"])
        if session.offline or not session.token:
            raise CallUnavailable(NO_NETWORK)
        try:
            reply = self.connect(session.token).request("POST", f"/api/v1/jobs/{job_id}/call")
        except TransportError:
            raise CallUnavailable(NO_NETWORK) from None
        if reply.status != 200:
            code = reply.body.get("code") if isinstance(reply.body, dict) else None
            raise CallUnavailable(REFUSED.get(str(code), OTHER_REFUSAL))
        number = VirtualNumber.from_reply(reply.body)
        try:
            self.dialer.dial(number.dial)
        except DeviceError:
            raise CallUnavailable(N_("This handheld cannot place calls")) from None
        self.active = ActiveCall(job_id, number, started_at=self.now(), started=self.clock())
        return self.active

    def returned(self) -> None:
        """The app is back in the foreground: the call ended then (the first return counts)."""
        if self.active is not None and self.active.returned is None:
            self.active.returned = self.clock()

    def hang_up(self, outcome: str) -> MeasuredCall:
        """End the call with the outcome the courier tapped; the measured call, not yet recorded."""
        call = self.active
        if call is None:
            raise CallUnavailable(N_("No call in progress"))
        if outcome not in CALL_OUTCOME_LABELS:
            raise ValueError(f"unknown call outcome {outcome!r}")
        ended = call.returned if call.returned is not None else self.clock()
        self.active = None
        # Whole seconds, rounded up: a call that rang at all lasted at least a second.
        duration = max(0, math.ceil(ended - call.started))
        return MeasuredCall(call.job_id, outcome, duration, call.started_at)

    def end(self, outcome: str) -> MeasuredCall:
        """Hang up and record the call as a ``call_log`` op (Today and Deliver; Fail keeps it in its draft)."""
        call = self.hang_up(outcome)
        actions = self.sessions.actions
        assert actions is not None, "log in first"
        actions.record_call(call.job_id, call.duration_s, call.outcome, called_at=call.started_at)
        self.recorded()
        return call

    def elapsed_s(self) -> int:
        """Seconds since the dial (until the return), for the screen's running time."""
        call = self.active
        if call is None:
            return 0
        return int((call.returned if call.returned is not None else self.clock()) - call.started)
