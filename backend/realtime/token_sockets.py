"""How many sockets one device token may hold open at once (issue 16: 40 were accepted for one).

A handheld needs one courier feed; a few more cover a reconnect racing its old socket's close. The
places live in the shared cache (Redis under the production profile) so the cap holds across ASGI
workers. Each open socket holds one of the token's ``cap()`` numbered places as a *lease*: taken
with an atomic ``add``, renewed by the socket's heartbeat, given back at close. A worker killed
without its disconnects stops renewing, so its places come free within ``lease_s()`` instead of
locking the courier out for hours (a plain counter never learned of those sockets' end).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def cap() -> int:
    return int(getattr(settings, "PARCELRUN_WS_SOCKETS_PER_TOKEN", 5))


def lease_s() -> int:
    """Three heartbeats by default: a live socket renews its place long before it lapses."""
    lease = getattr(settings, "PARCELRUN_WS_SOCKET_LEASE_S", None)
    return int(lease) if lease else 3 * int(getattr(settings, "PARCELRUN_WS_PING_INTERVAL_S", 20))


def _key(token_id: int, place: int) -> str:
    return f"ws:token-socket:{token_id}:{place}"


async def claim(token_id: int, holder: str) -> int | None:
    """Take a free place for ``holder`` (the socket's channel name); ``None`` when all are held."""
    for place in range(cap()):
        if await cache.aadd(_key(token_id, place), holder, timeout=lease_s()):
            return place
    return None


async def renew(token_id: int, place: int, holder: str) -> bool:
    """Extend the lease; ``False`` if the place lapsed and was taken by another socket meanwhile."""
    key = _key(token_id, place)
    current = await cache.aget(key)
    if current is None:  # lapsed (a long stall): take it back if nobody else did
        return bool(await cache.aadd(key, holder, timeout=lease_s()))
    if current != holder:
        return False
    return bool(await cache.atouch(key, lease_s()))


async def release(token_id: int, place: int, holder: str) -> None:
    key = _key(token_id, place)
    if await cache.aget(key) == holder:  # never free a place another socket took after a lapse
        await cache.adelete(key)
