"""bench/sync_shaped.py's link: a namespace on the far side of 150 ms RTT and 2 Mbit/s.

Measured from inside the namespace against a socket outside, through the same ``Link`` and relay
the bench uses: a round trip takes at least the RTT and 250 KB take at least their time at the
rate. Skipped, saying why, where network namespaces cannot be made (not root, no iproute2).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest

from bench.sync_shaped import DelayRelay, Link

PROBE = """
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
t = time.perf_counter(); s.sendall(b"x"); s.recv(1); rtt = time.perf_counter() - t
blob = b"y" * 250_000
t = time.perf_counter(); s.sendall(blob); got = 0
while got < 1: got += len(s.recv(1))
print(rtt, time.perf_counter() - t)
"""


def _echo_server() -> int:
    """Answers one byte, then one byte once it has read 250,000 more."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(1)
        conn.sendall(b"x")
        got = 0
        while got < 250_000:
            chunk = conn.recv(65536)
            if not chunk:
                return
            got += len(chunk)
        conn.sendall(b"y")
        conn.close()
        srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(srv.getsockname()[1])


def test_the_shaped_link_has_the_rtt_and_the_rate_asked() -> None:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
        pytest.skip(
            "network namespaces need root and iproute2 (ip, tc): the shaped-link bench cannot run here"
        )
    link = Link(rtt_ms=150, rate_mbit=2, loss_pct=0)
    try:
        try:
            link.up()
        except (subprocess.CalledProcessError, RuntimeError) as exc:
            pytest.skip(f"could not build the shaped link: {exc} {getattr(exc, 'stderr', '')}")
        relay = DelayRelay(_echo_server(), link.relay_delay_s, link.host_ip)
        relay.start()
        out = subprocess.run(
            ["ip", "netns", "exec", link.ns, sys.executable, "-c", PROBE, link.host_ip, str(relay.port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr[-1500:]
        rtt, bulk = (float(x) for x in out.stdout.split())
    finally:
        link.down()
    assert rtt >= 0.145, link.shaping
    assert bulk >= 250_000 * 8 / 2e6 * 0.9, link.shaping  # 1 s at 2 Mbit/s, less a burst
    assert bulk < 10, link.shaping
