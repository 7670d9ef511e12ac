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

websocket_urlpatterns: list[Any] = [
    path("ws/courier/", CourierFeedConsumer.as_asgi()),
    path("ws/courier/<int:courier_id>/", CourierFeedConsumer.as_asgi()),
    path("ws/station/<str:code>/", StationFeedConsumer.as_asgi()),
    path("ws/shipment/<str:tracking_no>/", ShipmentFeedConsumer.as_asgi()),
    # Anything else is answered with close code 4404 rather than a bare handshake failure.
    re_path(r"", UnknownFeedConsumer.as_asgi()),
]
