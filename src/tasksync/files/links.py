"""Signed download links: `?expires=...&user=...&signature=...` on a file's content path,
an HMAC-SHA256 over (file id, expiry, user id) with a key the service made at first start.

A link proves who asked for it and until when; access is checked again when it is used, so
a link dies with its file, at its expiry, and when its user leaves the room.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.db import upsert
from tasksync.files.models import SigningKey

KEY_ID = 1


@dataclass(frozen=True, slots=True)
class LinkSigner:
    secret: bytes

    def signature(self, file_id: UUID, expires: int, user_id: UUID) -> str:
        message = f"{file_id}:{expires}:{user_id}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def valid(
        self, file_id: UUID, expires: int, user_id: UUID, signature: str, *, now: datetime
    ) -> bool:
        if expires < int(now.timestamp()):
            return False
        expected = self.signature(file_id, expires, user_id).encode()
        # Bytes: `compare_digest` refuses a str that is not ASCII, and a link may hold anything.
        return hmac.compare_digest(expected, signature.encode("utf-8", errors="replace"))

    def query(self, file_id: UUID, user_id: UUID, expires_at: datetime) -> str:
        expires = int(expires_at.timestamp())
        sig = self.signature(file_id, expires, user_id)
        return f"expires={expires}&user={user_id}&signature={sig}"


async def signing_key(session: AsyncSession) -> LinkSigner:
    """The service's key, made on first use (racing starts agree on the first one written)."""
    await session.execute(
        upsert(session, SigningKey.__table__)
        .values(id=KEY_ID, secret=secrets.token_bytes(32), created_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )
    secret = await session.scalar(select(SigningKey.secret).where(SigningKey.id == KEY_ID))
    assert secret is not None
    return LinkSigner(secret)
