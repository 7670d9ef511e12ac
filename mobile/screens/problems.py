"""异常件 / 未上传数据: refused and not-yet-uploaded work, per parcel, with what to do next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from mobile import refusals
from mobile.i18n import _, current_language
from mobile.offline.unresolved import KIND_LABELS, Problem


class ProblemRow(BoxLayout):
    op_id = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    tint = StringProperty("failed")
    resolvable = StringProperty("")  # "1" when the courier may acknowledge or hand it on


class ProblemsScreen(Screen):
    core = ObjectProperty(None)
    summary = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        self.refresh()

    def refresh(self) -> None:
        found = self.core.problems()
        grid = self.ids.rows
        grid.clear_widgets()
        for p in found:
            grid.add_widget(self._row(p))
        open_refusals = sum(1 for p in found if p.open)
        waiting = sum(1 for p in found if p.state == "queued")
        self.summary = (
            _("Upload failed: {n} to deal with · Not uploaded: {m}").format(n=open_refusals, m=waiting)
            if found
            else _("No problem parcels")
        )

    def _row(self, p: Problem) -> ProblemRow:
        who = f"{p.tracking_no or '—'}  {p.name}".strip()
        kind = _(KIND_LABELS.get(p.kind, p.kind))
        if p.state == "queued":
            detail, tint = _("Not uploaded yet: it goes out at the next sync"), "warning"
        else:
            what, then = refusals.explain(p.code, current_language())
            done = {"acknowledged": _("Acknowledged"), "supervisor": _("Handed to the supervisor")}
            # One msgid with the step inside: Chinese has no space to break the line at (issue 17).
            detail = f"{what}\n{_('Next: {step}').format(step=then)}" + (
                f"\n{done[p.resolution]}" if p.resolution else ""
            )
            tint = "muted" if p.resolution else "failed"
        return ProblemRow(
            op_id=p.op_id, title=f"{kind} · {who}", detail=detail, tint=tint, resolvable="1" if p.open else ""
        )

    def resolve(self, op_id: str, how: str) -> None:
        self.core.resolve_problem(op_id, how)
        self.refresh()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
