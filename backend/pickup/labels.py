"""The three renderings of a waybill label and the content type each is served with."""

from __future__ import annotations

from parcelkit.labels.layout import LabelData
from parcelkit.labels.render import render_pdf, render_png, render_zpl

CONTENT_TYPES = {
    # ZPL is plain UTF-8 text (^CI28); text/plain lets a browser or curl show it as it is.
    "zpl": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
    "png": "image/png",
}


def render_label(label: LabelData, fmt: str) -> bytes:
    if fmt == "zpl":
        return render_zpl(label).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(label)
    if fmt == "png":
        return render_png(label)
    raise ValueError(f"unknown label format {fmt!r}")
