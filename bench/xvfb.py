"""Start one Xvfb on a free display for Kivy (used by the UI tests and bench/mobile.py)."""

from __future__ import annotations

import os
import shutil
import subprocess


def start_xvfb(screen: str = "1200x2400x24") -> subprocess.Popen[bytes] | None:
    """Start Xvfb and set DISPLAY, unless a display is already there (then None)."""
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    # -displayfd: the server picks a free display and writes its number, so parallel runs never clash.
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read_fd, 16)
        if not chunk:
            break
        number += chunk
    os.close(read_fd)
    os.environ["DISPLAY"] = ":" + number.decode().strip()
    return proc
