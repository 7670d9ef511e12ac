"""``python -m mobile``: the courier app (settings from PARCELRUN_* variables, see docs/mobile.md)."""

from mobile.launch import core_from_env
from mobile.screens.app import ParcelrunApp

ParcelrunApp(core_from_env()).run()
