"""Settings for worker processes on channels-redis' core layer (RedisChannelLayer) instead of pub/sub.

Only the many-sockets test uses it: the redis-py 8 ``MaxConnectionsError`` trap is in the core
layer's connection pool, so that test runs against both layers.
"""

from backend.settings import *  # noqa: F403
from backend.settings import REDIS_URL

CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
}
