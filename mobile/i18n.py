"""Translations through gettext: Chinese first, English complete. Plain Python.

Source strings (msgids) are English. ``_()`` translates with the current language; ``N_()`` only
marks a string for extraction where it is defined (tables of messages) and is translated where it
is shown. Catalogues live in mobile/locale/<lang>/LC_MESSAGES/parcelrun.(po|mo); the .mo files are
compiled by ``python -m mobile.i18n_build`` and committed, so the app needs no build step.
"""

from __future__ import annotations

import gettext
import threading
from pathlib import Path

DOMAIN = "parcelrun"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

_lock = threading.Lock()
_catalogs: dict[str, gettext.NullTranslations] = {}
_current = DEFAULT_LANGUAGE


def N_(message: str) -> str:
    return message


def catalog(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {LANGUAGES}")
    with _lock:
        found = _catalogs.get(language)
        if found is None:
            # fallback=False: a missing .mo is a packaging bug and must fail loudly, not show English.
            found = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[language])
            _catalogs[language] = found
        return found


def set_language(language: str) -> None:
    global _current
    catalog(language)  # validate and load before switching
    _current = language


def current_language() -> str:
    return _current


def _(message: str) -> str:
    return catalog(_current).gettext(message) if message else message


def translate(message: str, language: str) -> str:
    return catalog(language).gettext(message) if message else message


def reload_catalogs() -> None:
    """After recompiling the .mo files (tests, the build script)."""
    with _lock:
        _catalogs.clear()
