"""How many sockets one device token may hold open at once (issue 16: 40 were accepted for one).

A handheld needs one courier feed; a few more cover a reconnect racing its old socket's close. The
count lives in the shared cache (Redis under the production profile) so the cap holds across ASGI
workers. A worker that dies without its disconnects leaves counts behind: the key expires, which
errs on the side of letting a courier back in.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from backend.common.counters import cache_count

EXPIRES_S = 6 * 3600  # longer than a shift: a live socket's count outlives its own connection


def cap() -> int:
    return int(getattr(settings, "PARCELRUN_WS_SOCKETS_PER_TOKEN", 5))


def _key(token_id: int) -> str:
    return f"ws:token-sockets:{token_id}"


async def claim(token_id: int) -> bool:
    """Count one more socket for the token; ``False`` (and nothing counted) when it is at the cap."""
    held = await sync_to_async(cache_count)(_key(token_id), EXPIRES_S)
    if held > cap():
        await release(token_id)
        return False
    return True


async def release(token_id: int) -> None:
    key = _key(token_id)
    try:
        left = await cache.adecr(key)
    except ValueError:  # expired meanwhile: nothing to give back
        return
    if left <= 0:
        await cache.adelete(key)
