"""Route states kept warm across auto-assignment calls, keyed by everything they are computed from.

Building the insertion state of a 150-stop route (:func:`~backend.dispatch.planning.insertion.route_state`:
its leg matrix, forward and backward time passes, load maxima) costs ~3 ms of CPU, so deciding one
job against a station of 30 couriers spent ~100 ms rebuilding routes nobody had changed since the
previous call. The key here is the state's whole input: the vehicle (start place and time, shift,
capacity, profile), every remaining stop with its window, service time, weight and volume, and the
load on board. The route is read from the database on every call as before (``build_days``); only
the computation from those rows is reused. A state therefore cannot be stale: any write that
changes what the route would be built from (an assignment, a re-plan's new order, a changed
window, a measured weight, a courier's new shift or place) gives a different key. Per process,
bounded (least recently used first out).

A live courier's start time is "now", so their key changes each second and their state is rebuilt;
before the shift starts (the morning's intake and assignment) the states are reused.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from threading import Lock

from backend.dispatch.planning.insertion import RouteState, route_state
from backend.dispatch.planning.matrix import MatrixProvider
from backend.dispatch.planning.model import Stop, Vehicle

MAX_STATES = 512  # ~17 stations of 30 couriers per process; a state of 150 stops is ~40 KB

_states: OrderedDict[tuple[object, ...], RouteState] = OrderedDict()
_lock = Lock()
stats = {"hits": 0, "misses": 0}


def warm_route_state(
    vehicle: Vehicle, stops: Sequence[Stop], matrix: MatrixProvider, onboard: tuple[int, int]
) -> RouteState:
    """``route_state(vehicle, stops, matrix, onboard)``, reused when exactly these inputs were seen."""
    key = (vehicle, tuple(stops), repr(matrix), onboard)  # a provider's repr names its speeds
    with _lock:
        state = _states.get(key)
        if state is not None:
            _states.move_to_end(key)
            stats["hits"] += 1
            return state
    state = route_state(vehicle, stops, matrix, onboard)
    with _lock:
        stats["misses"] += 1
        _states[key] = state
        while len(_states) > MAX_STATES:
            _states.popitem(last=False)
    return state


def clear() -> None:
    with _lock:
        _states.clear()
        stats.update(hits=0, misses=0)
