"""Signed-out sessions and revoked accounts, which every service reads before trusting a
token.

An access token is valid until it expires, and every service checks its signature alone. So
that a sign-out, a password change, a deactivated or a deleted account takes effect at once,
the users service writes a revocation here before it answers, and `authenticate` refuses a
token that a revocation covers:

- `user:<id>`: every token of the account issued before a time, except those of one session
  (the one that changed the password);
- `session:<id>`: every token of one session (a refresh-token family) issued before a time.

A revocation lives as long as an access token does: after that, every token it covers has
expired anyway. Redis holds them when the process has Redis (every process of every service
reads the same list); otherwise a dictionary in this process does, which is right for the
embedded stack, where every service runs in this one process. A Redis that does not answer
makes `authenticate` answer 503: a token is never trusted unchecked.
"""

import time
from dataclasses import dataclass
from uuid import UUID

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tasksync.common.errors import ServiceUnavailable, Unauthorized


@dataclass(frozen=True, slots=True)
class Revoked:
    before: float
    except_session: str | None = None

    def covers(self, issued_at: float, session_id: str) -> bool:
        return issued_at < self.before and session_id != self.except_session


class _Memory:
    """The in-process list, shared by every app of the embedded stack."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[bytes, float]] = {}

    def put(self, key: str, value: bytes, ttl: int) -> None:
        now = time.monotonic()
        if len(self.entries) > 100_000:
            self.entries = {k: v for k, v in self.entries.items() if v[1] > now}
        self.entries[key] = (value, now + ttl)

    def get(self, keys: list[str]) -> list[bytes | None]:
        now = time.monotonic()
        return [v[0] if (v := self.entries.get(k)) and v[1] > now else None for k in keys]


_IN_PROCESS = _Memory()


class Revocations:
    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:revoked:"

    async def revoke_user(
        self, user_id: UUID, *, lifetime: int, except_session: str | None = None
    ) -> None:
        """Every token of the account issued until now is refused (but `except_session`'s)."""
        await self._put(f"user:{user_id}", Revoked(self._now(), except_session), lifetime)

    async def revoke_session(self, session_id: str, *, lifetime: int) -> None:
        """Every token of the session issued until now is refused."""
        await self._put(f"session:{session_id}", Revoked(self._now()), lifetime)

    async def check(self, *, user_id: UUID, session_id: str, issued_at: float) -> None:
        """Raises Unauthorized when a revocation covers the token."""
        found = await self._get([f"user:{user_id}", f"session:{session_id}"])
        for raw in found:
            if raw is not None and Revoked(**orjson.loads(raw)).covers(issued_at, session_id):
                raise Unauthorized("This session was signed out; sign in again.")

    def _now(self) -> float:
        # Tokens carry their issue time to the microsecond (`iat`), from the same clock.
        return time.time()

    async def _put(self, key: str, revoked: Revoked, lifetime: int) -> None:
        value = orjson.dumps({"before": revoked.before, "except_session": revoked.except_session})
        ttl = lifetime + 5
        if self.redis is None:
            _IN_PROCESS.put(self.prefix + key, value, ttl)
            return
        try:
            await self.redis.set(self.prefix + key, value, ex=ttl)
        except RedisError as exc:
            raise ServiceUnavailable("Could not record the sign-out; try again.") from exc

    async def _get(self, keys: list[str]) -> list[bytes | None]:
        full = [self.prefix + key for key in keys]
        if self.redis is None:
            return _IN_PROCESS.get(full)
        try:
            return await self.redis.mget(full)
        except RedisError as exc:
            raise ServiceUnavailable("Could not check the session; try again.") from exc
