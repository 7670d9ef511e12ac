"""The Origin check for websockets: browsers must come from our hosts; native clients send none.

Channels' ``AllowedHostsOriginValidator`` refuses a handshake with no ``Origin`` header unless
ALLOWED_HOSTS holds ``*``. Browsers always send Origin (and are what the check protects: a page on
another site opening a socket with the visitor's cookies), while the handheld app, the ``websockets``
package and server-side clients send none and authenticate with a token in the URL, which another
site cannot read. So: no Origin → allowed; an Origin → it must match ALLOWED_HOSTS.
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))


def browser_origin_validator(application: Any) -> BrowserOriginValidator:
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(application, allowed)
