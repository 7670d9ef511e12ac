"""ASGI entry point: HTTP through Django (backend/http.py), websockets through Channels (backend/routing.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

import gc

from backend.http import http_application

http_app = http_application()  # sets Django up

from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up first)
from django.urls import get_resolver  # noqa: E402

from backend.realtime.origin import browser_origin_validator  # noqa: E402
from backend.routing import websocket_urlpatterns  # noqa: E402

# Build the channel layer and load every URL module (and what they import: DRF, PyVRP…) now, not
# inside the first requests: a new worker's first push would otherwise pay about a second for it.
get_channel_layer()
get_resolver().url_patterns  # noqa: B018 - evaluated for its import side effect

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": browser_origin_validator(URLRouter(websocket_urlpatterns)),
    }
)

# Everything imported so far lives as long as the process: keep it out of the garbage collector's
# generations, so the collections that bulk requests trigger only walk what those requests made.
gc.freeze()
