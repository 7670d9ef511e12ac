"""The map's station settings for the board template: the optional tile server (docs/operations.md)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def tile_url() -> str:
    """``CONSOLE_TILE_URL``: empty (the default) draws the map with no tile layer at all."""
    return str(settings.CONSOLE_TILE_URL)


@register.simple_tag
def tile_attribution() -> str:
    return str(settings.CONSOLE_TILE_ATTRIBUTION)
