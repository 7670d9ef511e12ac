"""Today: the route in planned order, the counts, the sync badge, live notices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import NumericProperty, ObjectProperty
from kivy.uix.screenmanager import Screen

from mobile.handling import FLAG_LABELS
from mobile.i18n import _
from mobile.scanning.scan_session import ScanMode
from mobile.screens.theme import colour
from mobile.today import KIND_LABELS, STATUS_LABELS

CLOSED = frozenset({"completed", "failed", "cancelled"})  # no customer to call about a closed job


class TodayScreen(Screen):
    core = ObjectProperty(None)
    to_deliver = NumericProperty(0)
    delivered = NumericProperty(0)
    failed = NumericProperty(0)
    pickups = NumericProperty(0)

    def on_enter(self, *_args: Any) -> None:
        self.core.start_scan(ScanMode.DELIVERY)  # a scan from the list opens that delivery
        self.refresh()

    def refresh(self) -> None:
        if self.core.session is None:
            return
        rows, counts = self.core.today()
        self.to_deliver, self.delivered, self.failed, self.pickups = (
            counts.to_deliver,
            counts.delivered,
            counts.failed,
            counts.pickups,
        )
        self.ids.route.data = [
            {
                "job_id": str(r.job_id),
                "seq": r.seq,
                "name": r.name,
                "address": r.address,
                "tracking_no": r.tracking_no,
                "eta": r.eta,
                "window": r.window,
                "status_text": _(STATUS_LABELS.get(r.status, r.status)),
                "kind_text": _(KIND_LABELS[r.kind]),
                "stripe": list(colour(r.colour)),
                "marker": r.marker,
                "marker_colour": list(colour(r.marker_colour)),
                "flags": " ".join(_(FLAG_LABELS[f]) for f in r.flags),
                "can_call": r.status not in CLOSED,
            }
            for r in rows
        ]


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
