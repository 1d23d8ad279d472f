"""Limits on sign-ins and registrations: the policy of docs/operations.md §Security.

Sign-in:
- per username, `login_failures_per_user` attempts a window (a success resets them); past it
  the account is locked for the rest of the window, from every address;
- per client address, past `login_failures_per_address` failures every attempt from it waits
  a little longer before its password is checked, and past `login_address_ceiling` failures it
  is refused. Below the ceiling a right password on an unlocked account passes, so a shared
  address (an office behind NAT) is slowed, not locked out, by someone else's guessing.

Registration: `registrations_per_address` attempts a window per client address, counted
before the password is hashed, so that a burst of sign-ups cannot take the hashing time that
sign-ins need.
"""

import asyncio

import structlog
from redis.exceptions import RedisError

from tasksync.common.errors import TooManyRequests
from tasksync.common.ratelimit import WindowCounter
from tasksync.users.settings import UsersSettings

log = structlog.get_logger("tasksync.users.guards")


def _too_many_sign_ins(retry_after: int) -> TooManyRequests:
    return TooManyRequests(
        "Too many failed sign-ins; wait before trying again.", retry_after=retry_after
    )


class LoginGuard:
    def __init__(self, counter: WindowCounter, settings: UsersSettings) -> None:
        self.counter = counter
        self.window = settings.login_window_seconds
        self.per_user = settings.login_failures_per_user
        self.slow_after = settings.login_failures_per_address
        self.ceiling = settings.login_address_ceiling
        self.step = settings.login_address_delay
        self.longest = settings.login_address_delay_max

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return f"login:user:{username.lower()}", f"login:addr:{address}"

    def delay(self, failures: int) -> float:
        """Seconds an attempt waits after `failures` failures from its address."""
        over = failures - self.slow_after + 1
        return min(self.step * over, self.longest) if over > 0 else 0.0

    async def check(self, username: str, address: str) -> None:
        """Refuses or slows a sign-in as the policy says. The attempt counts against the
        username before the password is checked (a success resets it), so parallel guesses
        cannot all pass."""
        user_key, address_key = self._keys(username, address)
        failures, retry_after = await self.counter.get(address_key)
        if failures >= self.ceiling:
            raise _too_many_sign_ins(retry_after)
        if pause := self.delay(failures):
            await asyncio.sleep(pause)
        if await self.counter.hit(user_key, self.window) > self.per_user:
            _, retry_after = await self.counter.get(user_key)
            raise _too_many_sign_ins(retry_after)

    async def turned_away(self, username: str) -> None:
        """An attempt shed before its password was checked does not count against the
        username: a storm of sign-ins must not lock out the people in it."""
        await self.counter.take_back(self._keys(username, "")[0])

    async def failed(self, address: str) -> None:
        await self.counter.hit(self._keys("", address)[1], self.window)

    async def succeeded(self, username: str) -> None:
        await self.counter.reset(self._keys(username, "")[0])


class RegistrationGuard:
    def __init__(self, counter: WindowCounter, settings: UsersSettings) -> None:
        self.counter = counter
        self.window = settings.registration_window_seconds
        self.limit = settings.registrations_per_address

    async def check(self, address: str) -> None:
        """Counts the attempt. Sign-ups stay open while Redis is away (the event backbone's
        outbox keeps their events): the limit is skipped then, and a warning logged."""
        key = f"register:addr:{address}"
        try:
            count = await self.counter.hit(key, self.window)
        except RedisError as exc:
            log.warning("registration_limit_unavailable", error=str(exc))
            return
        if count > self.limit:
            _, retry_after = await self.counter.get(key)
            raise TooManyRequests(
                "Too many accounts registered from this address; try again later.",
                retry_after=retry_after,
            )

    async def turned_away(self, address: str) -> None:
        """A sign-up shed before its password was hashed does not count."""
        try:
            await self.counter.take_back(f"register:addr:{address}")
        except RedisError as exc:
            log.warning("registration_limit_unavailable", error=str(exc))
