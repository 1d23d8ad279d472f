"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed, rotated)."""

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import ALGORITHM, AUDIENCE, ISSUER
from tasksync.common.clock import utcnow
from tasksync.common.errors import Unauthorized
from tasksync.common.ids import uuid7
from tasksync.users import queries
from tasksync.users.keys import KeyRing
from tasksync.users.models import RefreshToken, User
from tasksync.users.schemas import TokenPair
from tasksync.users.settings import UsersSettings


class TokenReuse(Unauthorized):
    """A rotated refresh token came back: its family is revoked, and that must stick."""

    keeps_changes = True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenIssuer:
    def __init__(self, settings: UsersSettings, keys: KeyRing) -> None:
        self.keys = keys
        self.access_lifetime = timedelta(minutes=settings.access_token_minutes)
        self.refresh_lifetime = timedelta(days=settings.refresh_token_days)

    async def issue(
        self, session: AsyncSession, user: User, *, family_id: UUID | None = None
    ) -> TokenPair:
        """A new access token and a refresh token (in a new family unless one is given)."""
        family_id = family_id or uuid7()
        refresh = secrets.token_urlsafe(32)
        now = utcnow()
        session.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=_digest(refresh),
                expires_at=now + self.refresh_lifetime,
            )
        )
        kid, private_key = await self.keys.signing_key(session)
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user.id),
            "name": user.username,
            "sid": str(family_id),
            "jti": uuid7().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_lifetime).timestamp()),
        }
        access = jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid})
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(self.access_lifetime.total_seconds()),
        )

    async def rotate(self, session: AsyncSession, refresh_token: str) -> TokenPair:
        token = await queries.refresh_token(session, _digest(refresh_token))
        if token is None or token.expires_at <= utcnow():
            raise Unauthorized("The refresh token is unknown or has expired; sign in again.")
        if token.revoked_at is not None:
            await revoke_family(session, token.family_id)
            raise TokenReuse(
                "The refresh token was already used; every session from it is now signed out."
            )
        if not await queries.revoke_if_live(session, token.id):
            await revoke_family(session, token.family_id)
            raise TokenReuse(
                "The refresh token was already used; every session from it is now signed out."
            )
        user = await session.get(User, token.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("This account is deactivated.")
        return await self.issue(session, user, family_id=token.family_id)


async def revoke_token(session: AsyncSession, refresh_token: str) -> None:
    await queries.revoke_tokens(session, digest=_digest(refresh_token))


async def revoke_family(session: AsyncSession, family_id: UUID) -> None:
    await queries.revoke_tokens(session, family_id=family_id)


async def revoke_all(
    session: AsyncSession, user_id: UUID, *, except_family: str | None = None
) -> None:
    family = UUID(except_family) if except_family is not None else None
    await queries.revoke_tokens(session, user_id=user_id, except_family=family)
