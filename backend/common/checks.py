"""Deploy checks of our own, run by ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

DEV_KEY_IN_USE = "parcelrun.E001"


@register(Tags.security, deploy=True)
def check_secret_key_is_not_the_development_key(**kwargs: Any) -> list[CheckMessage]:
    # The development key ships in settings.py, so Django's own length/entropy check (W009) passes it.
    if getattr(settings, "DEV_SECRET_KEY", None) == settings.SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the public development key: sessions and customer links can be forged.",
                hint="Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value.",
                id=DEV_KEY_IN_USE,
            )
        ]
    return []
