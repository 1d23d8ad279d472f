"""Argon2id password hashing, off the event loop (a hash takes tens of milliseconds)."""

import anyio.to_thread
from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

from tasksync.users.settings import UsersSettings


class PasswordHasher:
    def __init__(self, settings: UsersSettings) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Checked against when the username is unknown, so timing does not reveal which
        # usernames exist.
        self._decoy = self._argon2.hash("decoy password, never matches")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._argon2.verify(password_hash or self._decoy, password)
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check) and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon2.check_needs_rehash(password_hash)
