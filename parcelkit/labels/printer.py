"""Sending ZPL to a network label printer: raw TCP, port 9100 by convention (JetDirect / "raw" printing)."""

from __future__ import annotations

import socket

RAW_PORT = 9100


class PrinterUnreachable(Exception):
    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"printer {host}:{port} unreachable: {reason}")
        self.host = host
        self.port = port


def send_zpl(host: str, zpl: str | bytes, port: int = RAW_PORT, timeout: float = 5.0) -> None:
    """Send one job. Raw printing has no reply, so success means the printer accepted every byte."""
    payload = zpl.encode("utf-8") if isinstance(zpl, str) else zpl
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(payload)
            # Half-close so the printer sees end-of-job instead of waiting for its own idle timeout.
            conn.shutdown(socket.SHUT_WR)
    except TimeoutError as exc:
        raise PrinterUnreachable(host, port, f"no answer within {timeout:g} s") from exc
    except ConnectionRefusedError as exc:
        raise PrinterUnreachable(host, port, "connection refused (printer off or wrong port?)") from exc
    except OSError as exc:
        raise PrinterUnreachable(host, port, exc.strerror or str(exc)) from exc
