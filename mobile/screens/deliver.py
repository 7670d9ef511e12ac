"""Deliver: the scanned parcel's proof (signature, photo, pickup code, relation), then "Delivered"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.core.calling import MeasuredCall
from mobile.flows.delivery import Step
from mobile.flows.failed_attempt import CALL_OUTCOME_LABELS
from mobile.handling import FLAG_LABELS
from mobile.i18n import _
from mobile.screens.call import minutes
from mobile.screens.theme import colour


class DeliverScreen(Screen):
    core = ObjectProperty(None)
    flow = ObjectProperty(None, allownone=True)
    method = StringProperty("signature")
    relation = StringProperty("self")
    problems = StringProperty("")
    header = StringProperty("")
    cod = StringProperty("")
    cod_done = BooleanProperty(False)
    photos = StringProperty("")
    banner = StringProperty("")
    banner_colour = ListProperty([0, 0, 0, 1])
    consent_relation = StringProperty("self")
    consent = StringProperty("")  # the customer's recorded answer, when the job has one
    flags = ListProperty([])  # the handling flags' chips, translated (先电联, 验证件 …)
    needs_id = BooleanProperty(False)  # id_check / high_value: no locker, no station
    id_step = BooleanProperty(False)  # the ID step stands where the signature pad will be
    id_type = StringProperty("")
    last_call = StringProperty("")  # the last call's outcome and measured time, on the call button

    def on_pre_enter(self, *_args: Any) -> None:
        self.core.at_door(True)
        self.flow = self.core.delivery
        flow = self.flow
        self.ids.pad.clear()
        self.problems, self.photos, self.cod_done, self.last_call = "", "", False, ""
        if flow is None:
            return
        # A draft resumed after a restart keeps its photos and the cash already collected.
        self.cod_done = flow.draft.cod_collected
        self.photos = _("{n} photos").format(n=len(flow.draft.photos)) if flow.draft.photos else ""
        self.show_banner()
        s = flow.job["shipment"]
        self.header = f"{s.get('recipient_name', '')}  {flow.tracking_no}\n{flow.job.get('address', '')}"
        self.method, self.relation = flow.draft.method, flow.draft.relation
        self.ids.recipient_name.text = flow.draft.recipient_name
        self.show_place()
        self.show_handling()
        self.cod = f"¥{flow.cod_amount_fen / 100:.2f}" if flow.cod_amount_fen else ""
        if flow.step is Step.SCAN:
            self.problems = _("Scan the parcel to start")

    def on_leave(self, *_args: Any) -> None:
        self.core.at_door(False)

    def choose_method(self, method: str) -> None:
        self.flow.choose_method(method)
        self.method, self.relation = self.flow.draft.method, self.flow.draft.relation
        self.ids.recipient_name.text = self.flow.draft.recipient_name
        self.show_place()
        self.id_step = self.flow.id_step_open
        self.problems = ""

    def show_place(self) -> None:
        """The locker's parts and the consent, as the draft holds them."""
        d, ids = self.flow.draft, self.ids
        ids.locker_compartment.text, ids.locker_code.text = d.locker_compartment, d.locker_code
        ids.consent_name.text, ids.call_record.text = d.consent_name, d.consent_call_record
        self.consent_relation = d.consent_relation
        found = self.flow.consent_id
        self.consent = "" if found is None else _("The customer agreed (answer {id})").format(id=found)

    def show_handling(self) -> None:
        """The flags' chips and, for an ID-check / high-value parcel, the ID step as the draft has it."""
        flow = self.flow
        self.flags = [_(FLAG_LABELS[f]) for f in flow.flags]
        row = self.ids.flags_row
        row.clear_widgets()
        for text in self.flags:
            row.add_widget(Factory.FlagChip(text=text))
        self.needs_id, self.id_step = flow.needs_id, flow.id_step_open
        self.id_type = flow.draft.id_type
        self.ids.id_last4.text = flow.draft.id_last4

    def choose_id_type(self, id_type: str) -> None:
        self.flow.choose_id_type(id_type)
        self.id_type = id_type

    def confirm_id(self) -> None:
        flow = self.flow
        if self.ids.id_last4.text.strip().upper()[:4] != flow.draft.id_last4:
            flow.set_id_last4(self.ids.id_last4.text)
        if flow.confirm_id():
            self.id_step, self.problems = False, ""
        else:
            self.problems = "\n".join(_(p) for p in flow.problems)
            self.core.signal_error()

    def choose_consent_relation(self, relation: str) -> None:
        self.flow.choose_consent_relation(relation)
        self.consent_relation = relation

    def choose_relation(self, relation: str) -> None:
        self.flow.choose_relation(relation)
        self.relation = relation
        self.ids.recipient_name.text = self.flow.draft.recipient_name

    def photo(self) -> None:
        taken = self.core.take_photo()
        if taken is None:  # no camera: say so; a signature or the signing code still proves it
            self.problems = _("No camera on this handheld: take a signature or the signing code instead")
            return
        self.flow.add_photo(*taken)
        self.photos = _("{n} photos").format(n=len(self.flow.draft.photos))
        self.problems = ""  # the list was about what was missing; the courier is adding it (issue 17)

    def collect_cod(self) -> None:
        self.flow.confirm_cod()
        self.cod_done = True
        self.problems = ""  # no stale "collect the cash" once it is collected (issue 17)

    def deliver(self) -> None:
        flow = self.flow
        if self.ids.pad.has_ink and not flow.id_step_open:
            flow.set_signature(self.ids.pad.png())
        name = self.ids.recipient_name.text.strip()
        if name != flow.draft.recipient_name:
            flow.set_recipient_name(name)
        if self.ids.code.text.strip() != flow.draft.code:
            flow.set_code(self.ids.code.text)
        self._take_place_fields()
        if flow.confirm() is Step.DONE:
            self.core.finish_delivery()
            self.manager.current = "today"
        else:
            self.problems = "\n".join(_(p) for p in flow.problems)
            self.core.signal_error()

    def _take_place_fields(self) -> None:
        """Hand what was typed for a locker or station to the flow (one call per changed field)."""
        flow, ids = self.flow, self.ids
        if not flow.needs_consent:
            return
        if flow.draft.method == "locker":
            if ids.locker_compartment.text.strip().upper() != flow.draft.locker_compartment:
                flow.set_locker_compartment(ids.locker_compartment.text)
            if ids.locker_code.text.strip() != flow.draft.locker_code:
                flow.set_locker_code(ids.locker_code.text)
        if ids.consent_name.text.strip() != flow.draft.consent_name:
            flow.set_consent_name(ids.consent_name.text)
        if ids.call_record.text.strip() != flow.draft.consent_call_record:
            flow.set_call_record(ids.call_record.text)

    def show_banner(self) -> None:
        """The job's question to the customer and its answer (refreshed on every pull)."""
        b = None if self.flow is None else self.core.banner(int(self.flow.job["id"]))
        self.banner = "" if b is None else b.text()
        self.banner_colour = list(colour(b.colour if b else "muted"))

    def propose(self) -> None:
        self.manager.get_screen("propose").job_id = int(self.flow.job["id"])
        self.manager.current = "propose"

    def call(self) -> None:
        """Call the customer through the job's virtual number; the call is measured and logged."""
        App.get_running_app().call(int(self.flow.job["id"]), after=self.called)

    def called(self, call: MeasuredCall) -> None:
        self.last_call = f"{_(CALL_OUTCOME_LABELS[call.outcome])} {minutes(call.duration_s)}"

    def failed(self) -> None:
        self.core.begin_fail(int(self.flow.job["id"]))
        self.manager.current = "fail"


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
