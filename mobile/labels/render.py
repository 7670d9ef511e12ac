"""One import for callers: ``from mobile.labels.render import LabelData, render_pdf, render_png, render_zpl``."""

from mobile.labels.layout import LabelData
from mobile.labels.pdf import render_pdf
from mobile.labels.png import render_image, render_png
from mobile.labels.zpl import render_zpl

__all__ = ["LabelData", "render_image", "render_pdf", "render_png", "render_zpl"]
