"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed, rotated)."""

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import ALGORITHM, AUDIENCE, ISSUER
from tasksync.common.clock import utcnow
from tasksync.common.db import after_commit
from tasksync.common.errors import Unauthorized
from tasksync.common.events.outbox import publish
from tasksync.common.ids import uuid7
from tasksync.common.revocations import Revocations
from tasksync.contracts.users import UserSignedOut, UserTokenReuseDetected
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
    """Issues, rotates and revokes tokens. A revoked refresh token is refused here; the
    access tokens of a revoked session or account are refused by every service, through the
    kit's revocation list (common/revocations.py), from the moment the revocation is
    answered."""

    def __init__(self, settings: UsersSettings, keys: KeyRing, revocations: Revocations) -> None:
        self.keys = keys
        self.revocations = revocations
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
            # To the microsecond: a revocation covers exactly the tokens issued before it.
            "iat": round(now.timestamp(), 6),
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
        if token.revoked_at is not None or not await queries.revoke_if_live(session, token.id):
            await self.sign_out_session(session, token.family_id)
            publish(session, UserTokenReuseDetected(user_id=token.user_id))
            raise TokenReuse(
                "The refresh token was already used; every session from it is now signed out."
            )
        user = await session.get(User, token.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("This account is deactivated.")
        return await self.issue(session, user, family_id=token.family_id)

    @property
    def _lifetime(self) -> int:
        return int(self.access_lifetime.total_seconds())

    async def sign_out(self, session: AsyncSession, refresh_token: str) -> None:
        """Logout: the refresh token's whole session ends, its access tokens included."""
        token = await queries.refresh_token(session, _digest(refresh_token))
        if token is not None:
            await self.sign_out_session(session, token.family_id)
            publish(session, UserSignedOut(user_id=token.user_id), actor_id=token.user_id)

    async def sign_out_session(self, session: AsyncSession, family_id: UUID) -> None:
        await queries.revoke_tokens(session, family_id=family_id)
        after_commit(
            session,
            lambda: self.revocations.revoke_session(str(family_id), lifetime=self._lifetime),
        )

    async def sign_out_everywhere(
        self, session: AsyncSession, user_id: UUID, *, except_session: str | None = None
    ) -> None:
        """Every session of the account ends (but `except_session`, the caller's own)."""
        family = UUID(except_session) if except_session is not None else None
        await queries.revoke_tokens(session, user_id=user_id, except_family=family)
        # Once committed: a token issued after that (a refresh) finds the change already.
        after_commit(
            session,
            lambda: self.revocations.revoke_user(
                user_id, lifetime=self._lifetime, except_session=except_session
            ),
        )
