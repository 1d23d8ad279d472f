"""The Redis connection of a process (created in its lifespan, never at import)."""

from redis.asyncio import Redis

from tasksync.common.settings import RedisSettings


def open_redis(settings: RedisSettings) -> Redis | None:
    if not settings.redis_url:
        return None
    return Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )


async def delete_prefixed(redis: Redis, prefix: str) -> None:
    """Deletes every key under `prefix:` (what one deployment, benchmark or test wrote).
    SCAN walks the whole keyspace, so in large steps."""
    keys = [key async for key in redis.scan_iter(f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)
