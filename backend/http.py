"""HTTP for the ASGI server: Django's WSGI handler behind one thread hop per request.

Every HTTP view here is synchronous (DRF). Django's own ASGI handler runs each middleware's
``process_request``/``process_response`` through its own ``sync_to_async`` hop: 7 middlewares make
about 14 thread hand-overs per request, measured at 5 ms for a bare 404 and a third of an empty
sync pull on two busy cores. Here the whole request (middleware, view, response) runs in one
call on the worker's sync thread, as under a WSGI server; websockets still go through Channels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from asgiref.wsgi import WsgiToAsgi
from django.core.wsgi import get_wsgi_application


def _closing(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterator[bytes]]:
    """asgiref's bridge never calls ``close()`` on the response, which is where Django sends
    ``request_finished`` (connections back to the pool, files closed): call it ourselves."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        response = app(environ, start_response)
        try:
            yield from response
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return wsgi


def http_application() -> WsgiToAsgi:
    return WsgiToAsgi(_closing(get_wsgi_application()))
