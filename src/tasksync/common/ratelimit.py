"""Fixed-window counters for brute-force limits (logins, join codes).

Redis holds them when the process has Redis, so every replica sees the same counts; otherwise
a dictionary in this process does, which is right for the single-process embedded stack.
"""

import time
from typing import Protocol

from redis.asyncio import Redis


class WindowCounter(Protocol):
    async def get(self, key: str) -> tuple[int, int]:
        """The count in the current window and the seconds until the window ends."""
        ...

    async def hit(self, key: str, window: int) -> int: ...

    async def reset(self, key: str) -> None: ...

    async def take_back(self, key: str) -> None:
        """Uncounts one hit, for an attempt that was turned away before anything was tried."""
        ...


class MemoryCounter:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}

    async def get(self, key: str) -> tuple[int, int]:
        count, ends = self._windows.get(key, (0, 0.0))
        left = ends - time.monotonic()
        return (count, int(left) + 1) if left > 0 else (0, 0)

    async def hit(self, key: str, window: int) -> int:
        now = time.monotonic()
        if len(self._windows) > 100_000:
            self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
        count, ends = self._windows.get(key, (0, 0.0))
        if ends <= now:
            count, ends = 0, now + window
        self._windows[key] = (count + 1, ends)
        return count + 1

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    async def take_back(self, key: str) -> None:
        count, ends = self._windows.get(key, (0, 0.0))
        if count > 1:
            self._windows[key] = (count - 1, ends)
        else:
            self._windows.pop(key, None)


class RedisCounter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:limit:"

    async def get(self, key: str) -> tuple[int, int]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.prefix + key)
            pipe.ttl(self.prefix + key)
            count, ttl = await pipe.execute()
        return (int(count), max(int(ttl), 1)) if count else (0, 0)

    async def hit(self, key: str, window: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def reset(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)

    async def take_back(self, key: str) -> None:
        await self.redis.eval(_TAKE_BACK, 1, self.prefix + key)


# Decrements without ever leaving a count of zero or below (nor a key without its expiry).
_TAKE_BACK = """
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
"""


def window_counter(redis: Redis | None, prefix: str) -> WindowCounter:
    return RedisCounter(redis, prefix) if redis is not None else MemoryCounter()
