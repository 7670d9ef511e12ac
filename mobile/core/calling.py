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

A call in progress is also written to the store (``meta`` key ``call``) at the dial and removed
at the hang-up: Android may stop the app while the phone app is in front, and a call the courier
made must not vanish with the process. At the next start (``recover``, when the session opens)
a call found there is in progress again, ended at the restart (the first moment the app is known
to be back in front; the monotonic clock does not survive the process, so the time is the wall
clock's, dial to restart), and the call panel asks how it went as after any call.
"""

from __future__ import annotations

import json
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
CALL_KEY = "call"  # the store's meta key of the call in progress


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
    interrupted: bool = False  # the app was stopped during the call and restarted (``recover``)

    def stored(self) -> str:
        """What the store keeps of a call in progress (``recover`` reads it back)."""
        n = self.number
        return json.dumps(
            {
                "job_id": self.job_id,
                "number": {
                    "number": n.number,
                    "extension": n.extension,
                    "dial": n.dial,
                    "expires_at": n.expires_at,
                },
                "started_at": self.started_at.isoformat(),
            }
        )


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
        self._keep(self.active)
        return self.active

    def recover(self) -> ActiveCall | None:
        """After a restart: the call the app was stopped in, in progress again and ended now
        (see the module docstring); None when there is none or its job left this handheld."""
        store = self.sessions.store
        kept = store.meta(CALL_KEY) if store is not None else None
        if store is None or kept is None or self.active is not None:
            return self.active
        try:
            raw = json.loads(kept)
            number = VirtualNumber.from_reply(raw["number"])
            started_at = datetime.fromisoformat(raw["started_at"])
            job_id = int(raw["job_id"])
        except (ValueError, KeyError, TypeError, CallUnavailable):
            store.set_meta(CALL_KEY, None)  # unreadable: nothing to ask the courier about
            return None
        if store.job(job_id) is None:
            store.set_meta(CALL_KEY, None)  # reassigned meanwhile: the call cannot be logged on it
            return None
        now = self.clock()
        talked = max(0.0, (self.now() - started_at).total_seconds())
        self.active = ActiveCall(
            job_id, number, started_at=started_at, started=now - talked, returned=now, interrupted=True
        )
        return self.active

    def _keep(self, call: ActiveCall | None) -> None:
        store = self.sessions.store
        if store is not None:
            with store.tx():  # the store's connection is shared with the sync thread: its own transaction
                store.set_meta(CALL_KEY, call.stored() if call is not None else None)

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
        self._keep(None)
        # Whole seconds, rounded up: a call that rang at all lasted at least a second.
        duration = max(0, math.ceil(ended - call.started))
        return MeasuredCall(call.job_id, outcome, duration, call.started_at)

    def end(self, outcome: str) -> MeasuredCall:
        """Hang up and record the call as a ``call_log`` op (Today and Deliver; Fail keeps it in its draft)."""
        actions, store = self.sessions.actions, self.sessions.store
        assert actions is not None and store is not None, "log in first"
        # One transaction: the call in progress leaves the store as its log op enters the outbox,
        # so a kill in between neither loses the call nor logs it twice after the restart.
        with store.tx():
            call = self.hang_up(outcome)
            actions.record_call(call.job_id, call.duration_s, call.outcome, called_at=call.started_at)
        self.recorded()
        return call

    def elapsed_s(self) -> int:
        """Seconds since the dial (until the return), for the screen's running time."""
        call = self.active
        if call is None:
            return 0
        return int((call.returned if call.returned is not None else self.clock()) - call.started)
