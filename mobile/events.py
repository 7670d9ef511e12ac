"""A weak-reference event bus from the core to the UI (electrum's CallbackManager idea). Plain Python.

The core emits named events; screens subscribe bound methods. The bus holds them weakly, so a
screen that is thrown away is never called again and never kept alive by the core. Emitting from
a worker thread is allowed: the subscriber (the Kivy side) hops to the UI thread itself.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[weakref.ReferenceType[Any] | Callable[[], Handler | None]]] = {}

    def subscribe(self, event: str, handler: Handler) -> None:
        # A bound method dies with its object; WeakMethod follows the object, not the temporary method.
        ref: Any = weakref.WeakMethod(handler) if hasattr(handler, "__self__") else weakref.ref(handler)
        with self._lock:
            self._subs.setdefault(event, []).append(ref)

    def unsubscribe(self, event: str, handler: Handler) -> None:
        with self._lock:
            self._subs[event] = [r for r in self._subs.get(event, []) if r() not in (None, handler)]

    def emit(self, event: str, **data: Any) -> int:
        """Call every live subscriber; returns how many were called."""
        with self._lock:
            refs = list(self._subs.get(event, []))
        called = 0
        for ref in refs:
            handler = ref()
            if handler is not None:
                handler(**data)
                called += 1
        if called < len(refs):
            with self._lock:
                self._subs[event] = [r for r in self._subs.get(event, []) if r() is not None]
        return called

    def count(self, event: str) -> int:
        with self._lock:
            return sum(1 for r in self._subs.get(event, []) if r() is not None)
