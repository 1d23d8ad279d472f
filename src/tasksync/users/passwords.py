"""Argon2id password hashing, off the event loop and bounded.

A hash takes tens of milliseconds of CPU and `argon2_memory_kib` of memory. At most
`password_hash_concurrency` run at a time; a caller waits at most `password_hash_wait` seconds
for its turn and is then shed with 503 and `Retry-After`, so a burst of sign-ins costs a
bounded amount of memory instead of a thread and a hash's memory each (docs/operations.md).
"""

import asyncio
import ctypes
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio.to_thread
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

from tasksync.common.errors import ServiceUnavailable
from tasksync.users.settings import UsersSettings

# A turn comes free every few tens of milliseconds per slot: a second is plenty to come back.
RETRY_AFTER_SECONDS = 1

T = TypeVar("T")


class HashingBusy(ServiceUnavailable):
    """No hashing slot came free in time; nothing was checked or written."""

    def __init__(self) -> None:
        super().__init__(
            "Too many sign-ins at this moment; try again in a second.",
            retry_after=RETRY_AFTER_SECONDS,
        )


class HashingBound:
    """At most `slots` hashes at a time; a caller waits at most `wait` seconds for a turn."""

    def __init__(self, slots: int, wait: float) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._wait = wait
        self.waiting = 0  # callers waiting for a turn now

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            async with asyncio.timeout(self._wait):
                await self._slots.acquire()
        except TimeoutError:
            raise HashingBusy() from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._slots.release()


# glibc's mallopt parameter: blocks of this size and above get mappings of their own.
_M_MMAP_THRESHOLD = -3
_OWN_MAPPING_FROM = 4 * 1024 * 1024


@functools.cache
def hand_hashing_memory_back() -> None:
    """Makes each hash's memory (19 MiB by default) a mapping of its own, unmapped when the
    hash ends. glibc otherwise raises its threshold to the size of the first such block freed
    and serves the next ones from its heap, which keeps their pages after a burst of sign-ins
    (docs/performance.md, Sign-in). A C library without mallopt keeps its own ways."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, _OWN_MAPPING_FROM)


class PasswordHasher:
    def __init__(self, settings: UsersSettings) -> None:
        hand_hashing_memory_back()
        self._argon2 = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self.bound = HashingBound(settings.password_hash_concurrency, settings.password_hash_wait)
        # Checked against when the username is unknown, so timing does not reveal which
        # usernames exist; made with the current parameters, so it costs what a real check does.
        self._decoy = self._argon2.hash("decoy password, never matches")

    async def _run(self, work: Callable[[], T]) -> T:
        # The thread is not abandoned on cancellation, so the slot is held until the hash ends.
        async with self.bound.slot():
            return await anyio.to_thread.run_sync(work)

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._argon2.hash(password))

    async def check(self, password_hash: str | None, password: str) -> tuple[bool, str | None]:
        """Whether `password` matches `password_hash` (None: an unknown account, checked
        against the decoy), and, on a match with other parameters than today's, the hash
        that replaces it, computed in the same turn."""

        def work() -> tuple[bool, str | None]:
            try:
                self._argon2.verify(password_hash or self._decoy, password)
            except (VerificationError, InvalidHashError):
                return False, None
            if password_hash is None:
                return False, None
            if self._argon2.check_needs_rehash(password_hash):
                return True, self._argon2.hash(password)
            return True, None

        return await self._run(work)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        matches, _ = await self.check(password_hash, password)
        return matches
