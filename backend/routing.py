"""Websocket routes. The consumers arrive with the live-updates capability."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
