"""Development backend: each message is one JSON line in a file under var/ and a log line.

Nothing leaves the machine. The recipient's number is written masked: the file is for reading
what the customers would get, not for reaching them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from backend.notify.gateway import GatewayError, OutboundMessage
from parcelkit.rules.privacy import Surface, phone_for

log = logging.getLogger("parcelrun.notify")


class FileGateway:
    name = "console"

    def __init__(self) -> None:
        self.path = Path(settings.NOTIFY_FILE)

    def send(self, message: OutboundMessage) -> str:
        line = {
            "at": timezone.now().isoformat(),
            "reference": message.reference,
            "channel": message.channel,
            "to": phone_for(Surface.STAFF, message.to),
            "language": message.language,
            "text": message.text,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise GatewayError(f"cannot write {self.path}: {exc}", retryable=True) from exc
        log.info("message %s to %s: %s", message.reference, line["to"], message.text)
        return f"file-{message.reference}"
