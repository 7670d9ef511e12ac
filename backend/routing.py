"""Websocket routes (docs/realtime.md). Each path is one feed; credentials go in ``?token=``."""

from __future__ import annotations

from typing import Any

from django.urls import path, re_path

from backend.realtime.consumers import (
    CourierFeedConsumer,
    ShipmentFeedConsumer,
    StationFeedConsumer,
    UnknownFeedConsumer,
)


def _ws(route: str, app: Any, *, regex: bool = False) -> Any:
    # Channels' URLRouter takes django.urls patterns holding ASGI apps, but django-stubs types path() for
    # HTTP views and types-channels wants its own URLPattern subclass that path() never returns: the two
    # stubs cannot agree, so the pattern is Any in this one place rather than an ignore on every route.
    return re_path(route, app) if regex else path(route, app)


websocket_urlpatterns: list[Any] = [
    _ws("ws/courier/", CourierFeedConsumer.as_asgi()),
    _ws("ws/courier/<int:courier_id>/", CourierFeedConsumer.as_asgi()),
    _ws("ws/station/<str:code>/", StationFeedConsumer.as_asgi()),
    _ws("ws/shipment/<str:tracking_no>/", ShipmentFeedConsumer.as_asgi()),
    # Anything else is answered with close code 4404 rather than a bare handshake failure.
    _ws(r"", UnknownFeedConsumer.as_asgi(), regex=True),
]
