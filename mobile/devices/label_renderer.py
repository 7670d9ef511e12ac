"""Waybill labels drawn for the screen (PNG) and for the printer (ZPL), behind ``LabelPort``."""

from __future__ import annotations

from collections.abc import Sequence

from mobile.devices.ports import RenderedLabels
from parcelkit.labels.layout import LabelData
from parcelkit.labels.render import render_png, render_zpl


class ZplLabelRenderer:
    def render(self, labels: Sequence[LabelData]) -> RenderedLabels:
        return RenderedLabels(
            preview_png=render_png(labels[0]),
            zpl="".join(render_zpl(label) for label in labels).encode("utf-8"),
        )
