"""Every planted bug of bench/mutants.py still finds the code it replaces.

The mutants patch names inside the backend's modules; when that code moves (the sync services
became a package on 2026-12-03) a mutant's server fails to start and the mutation check stops
checking anything. Found on 2026-12-05: three of the five no longer installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.faultserver import MUTANTS

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", MUTANTS)
def test_the_mutant_installs_in_a_server_process(name: str) -> None:
    code = (
        "import django; django.setup(); "
        "from bench.faultserver import install_mutant; "
        f"install_mutant({name!r}); print('installed')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "installed" in done.stdout, done.stderr[-2000:]
