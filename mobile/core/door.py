"""Work at the door: delivery, failed attempt and pickup of one job.

``begin_*`` opens the job's flow (mobile/flows/) for the screen to drive; ``finish_*`` records
what the flow gathered as ops in the courier's store (one transaction each; the sync loop pushes
them). The pickup flow gets its devices here: the scale, the label renderer and the printer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mobile.core.session import SessionKeeper
from mobile.devices.handheld import Devices
from mobile.devices.location import Locate, where
from mobile.flows.delivery import DeliveryFlow
from mobile.flows.failed_attempt import FailedAttemptFlow
from mobile.flows.pickup import PickupFlow, PickupJob
from mobile.offline import drafts
from mobile.offline.day_data import pickup_details, tariff_book


class DoorWork:
    def __init__(
        self, sessions: SessionKeeper, *, devices: Devices, locate: Locate, recorded: Callable[[], None]
    ) -> None:
        self.sessions = sessions
        self.devices = devices
        self.locate = locate
        self.recorded = recorded  # called after each recorded op (the sync loop pushes soon)
        self.delivery: DeliveryFlow | None = None
        self.failure: FailedAttemptFlow | None = None
        self.pickup: PickupFlow | None = None

    def begin_delivery(self, job_id: int, scanned: str = "") -> DeliveryFlow:
        self.delivery = DeliveryFlow(self._job_or_fail(job_id), scanned=scanned, locate=self.locate)
        self._keep_drafts(self.delivery, "deliver")
        self.delivery.on_change(self.delivery)
        return self.delivery

    def finish_delivery(self) -> str:
        actions = self.sessions.actions
        assert actions is not None and self.delivery is not None
        proof, files, place = self.delivery.result()
        job_id = int(self.delivery.job["id"])
        with actions.store.tx():  # the op and the draft's removal together: recorded once (issue 17)
            self._ensure_started(job_id, place)
            op_id = actions.record_deliver(job_id, proof, files=files, where=place)
            drafts.clear(actions.store, "deliver")
        self.delivery = None
        self.recorded()
        return op_id

    def begin_fail(self, job_id: int) -> FailedAttemptFlow:
        self.failure = FailedAttemptFlow(self._job_or_fail(job_id), reason_codes=self._reason_codes())
        self._keep_drafts(self.failure, "fail")
        self.failure.on_change(self.failure)
        return self.failure

    def _reason_codes(self) -> list[str] | None:
        store = self.sessions.store
        codes = [r["code"] for r in (store.reference("reason_codes") or [])] if store else []
        return codes or None

    def _keep_drafts(self, flow: FailedAttemptFlow | DeliveryFlow | PickupFlow, name: str) -> None:
        store = self.sessions.store
        if store is not None:
            flow.on_change = lambda f: drafts.save(store, name, f.snapshot())

    def abandon_fail(self) -> None:
        """The courier backed out before choosing a reason: nothing to keep."""
        store = self.sessions.store
        if store is not None:
            drafts.clear(store, "fail")
        self.failure = None

    def resume_drafts(self) -> str | None:
        """After a restart: the failed attempt or delivery left half done, at the step it was at.
        Returns the screen to show ("fail", "deliver", "pickup"), or None. A draft whose job is gone
        or closed is dropped (a failed attempt begun from Deliver or Pickup closes that draft too)."""
        store = self.sessions.store
        if store is None:
            return None
        for name in ("fail", "deliver", "pickup"):
            saved = drafts.load(store, name)
            if saved is None:
                continue
            job = store.job(int(saved["job_id"]))
            if job is None or job["status"] in ("completed", "failed", "cancelled"):
                drafts.clear(store, name)
                continue
            if name == "fail":
                self.failure = FailedAttemptFlow.restore(job, saved, reason_codes=self._reason_codes())
                self._keep_drafts(self.failure, name)
            elif name == "pickup":
                self.pickup = self._pickup_flow(job).restore(saved)
                self._keep_drafts(self.pickup, name)
            else:
                self.delivery = DeliveryFlow.restore(job, saved, locate=self.locate)
                self._keep_drafts(self.delivery, name)
            return name
        return None

    def finish_fail(self) -> str:
        actions = self.sessions.actions
        assert actions is not None and self.failure is not None
        flow, job_id = self.failure, int(self.failure.job["id"])
        place = where(self.locate)
        store = actions.store
        # One transaction: the ops and the draft's removal, so a kill leaves either the draft
        # (resumed) or the recorded attempt, never both (recorded twice) nor neither (issue 17).
        with store.tx():
            self._ensure_started(job_id, place)
            for call in flow.draft.calls:
                called_at = datetime.fromisoformat(call.started_at) if call.started_at else None
                actions.record_call(job_id, call.duration_s, call.outcome, called_at=called_at)
            op_id = actions.record_fail(
                job_id,
                flow.draft.reason,
                flow.note,
                flow.next_step(),
                photos=flow.draft.photos,
                where=place,
            )
            drafts.clear(store, "fail")
        self.failure = None
        self.recorded()
        return op_id

    def begin_pickup(self, job_id: int) -> PickupFlow:
        """A new pickup, empty (issue 17: nothing carries over from the last customer); its draft is kept."""
        self.pickup = self._pickup_flow(self._job_or_fail(job_id))
        self._keep_drafts(self.pickup, "pickup")
        self.pickup.on_change(self.pickup)
        return self.pickup

    def abandon_pickup(self) -> None:
        """The courier left the pickup unrecorded (back to Today, or on to a failed attempt)."""
        store = self.sessions.store
        if store is not None:
            drafts.clear(store, "pickup")
        self.pickup = None

    def _pickup_flow(self, job: dict[str, Any]) -> PickupFlow:
        store, issuer, devices = self.sessions.store, self.sessions.waybills, self.devices
        assert store is not None and issuer is not None
        details = pickup_details(store).get(job["shipment"].get("tracking_no") or "", {})
        job = {**job, "shipment": {**details, **{k: v for k, v in job["shipment"].items() if v}}}
        return PickupFlow(
            pickup_job(job, self.sessions.station),
            book=tariff_book(store),
            issuer=issuer,
            labels=devices.labels,
            scale=devices.scale,
            scale_model=devices.scale_model if devices.scale is not None else "",
            printer=devices.printer,
        )

    def finish_pickup(self) -> str:
        actions = self.sessions.actions
        assert actions is not None and self.pickup is not None
        payload = self.pickup.payload()
        job_id, place = int(payload["job_id"]), where(self.locate)
        pickup = {**payload["pickup"], "pricing": payload["pricing"]}
        with actions.store.tx():  # the op, its photo and the draft's removal together: recorded once
            self._ensure_started(job_id, place)
            op_id = actions.record_weigh(job_id, pickup, place, photos=self.pickup.draft.photos())
            drafts.clear(actions.store, "pickup")
        self.pickup = None
        self.recorded()
        return op_id

    def _job_or_fail(self, job_id: int) -> dict[str, Any]:
        job = None if self.sessions.store is None else self.sessions.store.job(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def _ensure_started(self, job_id: int, place: dict[str, float] | None) -> None:
        """The server completes only a started job; a courier at the door may never have pressed "start"."""
        store, actions = self.sessions.store, self.sessions.actions
        job = None if store is None else store.job(job_id)
        if actions is not None and job is not None and job["status"] in ("assigned", "accepted"):
            actions.record_start(job_id, place)


def pickup_job(job: dict[str, Any], station: dict[str, Any]) -> PickupJob:
    """The pickup flow's view of a job (sender fields come with newer snapshots; the address otherwise)."""
    s = job["shipment"]
    return PickupJob(
        job_id=int(job["id"]),
        origin=str(station.get("code") or ""),
        destination_region=str(s.get("destination_region") or ""),
        service_level=str(s.get("service_level") or "standard"),
        sender=(
            str(s.get("sender_name") or ""),
            str(s.get("sender_phone") or ""),
            str(s.get("sender_address") or job.get("address") or ""),
        ),
        recipient=(
            str(s.get("recipient_name") or ""),
            str(s.get("recipient_phone") or ""),
            str(s.get("recipient_address") or ""),
        ),
        tracking_no=str(s.get("tracking_no") or ""),
        cod_amount_fen=int(s.get("cod_amount_fen") or 0),
        fragile="fragile" in (s.get("handling") or []),
    )
