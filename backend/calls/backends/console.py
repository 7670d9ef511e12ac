"""Development backend: numbers from ``CALLS_POOL`` with an extension, one JSON line per binding.

Nothing leaves the machine and no phone rings. Like an AXN provider, one pool number serves many
bindings, told apart by the extension dialled after a pause. The real numbers are written masked:
the file shows what was bound, not whom to reach.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from backend.calls.gateway import BindRequest, BoundNumber, GatewayError
from parcelkit.rules.privacy import Surface, phone_for

log = logging.getLogger("parcelrun.calls")


class PoolGateway:
    name = "console"

    def __init__(self) -> None:
        self.pool = list(settings.CALLS_POOL)
        self.path = Path(settings.CALLS_FILE)
        if not self.pool:
            raise GatewayError("CALLS_POOL is empty")

    def bind(self, request: BindRequest) -> BoundNumber:
        # From the reference alone: a retry of the same binding gets the same number and extension.
        digest = int.from_bytes(hashlib.sha256(request.reference.encode()).digest()[:8], "big")
        number = self.pool[digest % len(self.pool)]
        extension = f"{digest // len(self.pool) % 10000:04d}"
        line = {
            "at": timezone.now().isoformat(),
            "reference": request.reference,
            "number": number,
            "extension": extension,
            "caller": phone_for(Surface.STAFF, request.caller),
            "callee": phone_for(Surface.STAFF, request.callee),
            "expires_at": request.expires_at.isoformat(),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise GatewayError(f"cannot write {self.path}: {exc}") from exc
        log.info("bound %s ext %s for %s until %s", number, extension, request.reference, line["expires_at"])
        return BoundNumber(number=number, extension=extension, provider_id=f"pool-{request.reference}")
