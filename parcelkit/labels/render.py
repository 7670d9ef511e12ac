"""One import for callers: ``from parcelkit.labels.render import LabelData, render_pdf, render_png, render_zpl``."""

from parcelkit.labels.layout import LabelData
from parcelkit.labels.pdf import render_pdf
from parcelkit.labels.png import render_image, render_png
from parcelkit.labels.zpl import render_zpl

__all__ = ["LabelData", "render_image", "render_pdf", "render_png", "render_zpl"]
