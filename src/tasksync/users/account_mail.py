"""Account e-mails: proving an address, and resetting a forgotten password.

A token is 32 random bytes (URL-safe base64), single use, short-lived; only its SHA-256 is
stored here. It travels to the notifications service in an event
(`user.email_verification_requested`, `user.password_reset_requested`), which mails it; see
docs/events.md ("Secrets in events") for how that event is protected.

A reset request is answered the same way (202, same body) whether or not the account
exists, is active, has a verified address, or was refused by a limit; and it does the same
work in each case (one lookup, one limit check), so its time does not tell either.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.errors import BadRequest
from tasksync.common.events.outbox import publish
from tasksync.common.ratelimit import WindowCounter
from tasksync.contracts.users import (
    UserEmailRemoved,
    UserEmailVerificationRequested,
    UserEmailVerified,
    UserPasswordChanged,
    UserPasswordResetRequested,
)
from tasksync.users import tokens
from tasksync.users.models import EmailToken, User
from tasksync.users.passwords import PasswordHasher
from tasksync.users.settings import UsersSettings

log = structlog.get_logger("tasksync.users.account_mail")
BAD_TOKEN = "This link is invalid, was used already, or has expired."
RESET_ACCEPTED = (
    "If that account exists and has a verified e-mail address, a message with a link to "
    "choose a new password is on its way."
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(
    session: AsyncSession, *, user: User, purpose: str, lifetime: timedelta
) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + lifetime
    assert user.email is not None
    session.add(
        EmailToken(
            token_hash=_hash(token),
            user_id=user.id,
            purpose=purpose,
            email=user.email,
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )
    return token, expires_at


async def address_changed(session: AsyncSession, settings: UsersSettings, *, user: User) -> None:
    """The account's address was set, changed or removed: it is unverified until proved, and
    earlier verification links stop working."""
    user.email_verified_at = None
    await session.execute(
        delete(EmailToken).where(
            EmailToken.user_id == user.id,
            EmailToken.purpose == "verify",
            EmailToken.used_at.is_(None),
        )
    )
    if user.email is None:
        publish(session, UserEmailRemoved(user_id=user.id), actor_id=user.id)
        return
    token, expires_at = _new_token(
        session,
        user=user,
        purpose="verify",
        lifetime=timedelta(hours=settings.email_verification_hours),
    )
    publish(
        session,
        UserEmailVerificationRequested(
            user_id=user.id, email=user.email, token=token, expires_at=expires_at
        ),
        actor_id=user.id,
    )


async def _redeem(session: AsyncSession, token: str, purpose: str) -> tuple[EmailToken, User]:
    """The token's row and account, marked used; 400 for anything else (one answer)."""
    now = utcnow()
    found = await session.scalar(
        select(EmailToken).where(EmailToken.token_hash == _hash(token)).with_for_update()
    )
    user = await session.get(User, found.user_id) if found is not None else None
    if (
        found is None
        or user is None
        or found.purpose != purpose
        or found.used_at is not None
        or found.expires_at <= now
        or not user.is_active
    ):
        raise BadRequest(BAD_TOKEN)
    # Single use even against a concurrent twin: only one UPDATE finds it unused.
    taken = await session.execute(
        update(EmailToken)
        .where(EmailToken.token_hash == found.token_hash, EmailToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:
        raise BadRequest(BAD_TOKEN)
    return found, user


async def verify_email(session: AsyncSession, *, token: str) -> User:
    found, user = await _redeem(session, token, "verify")
    if user.email is None or user.email.lower() != found.email.lower():
        raise BadRequest(BAD_TOKEN)  # the address changed since this link was sent
    user.email_verified_at = utcnow()
    publish(session, UserEmailVerified(user_id=user.id, email=user.email), actor_id=user.id)
    return user


class ResetGuard:
    """At most `password_resets_per_account` messages per account and a window, and
    `password_resets_per_address` requests per client address: a thousand requests make a
    handful of e-mails. Refusals are silent (the answer is the same)."""

    def __init__(self, counter: WindowCounter, settings: UsersSettings) -> None:
        self.counter = counter
        self.settings = settings

    async def allows(self, *, address: str, account: str) -> bool:
        window = self.settings.password_reset_window_seconds
        by_address = await self.counter.hit(f"reset:addr:{address}", window)
        by_account = await self.counter.hit(f"reset:account:{account}", window)
        return (
            by_address <= self.settings.password_resets_per_address
            and by_account <= self.settings.password_resets_per_account
        )


async def request_reset(
    session: AsyncSession,
    settings: UsersSettings,
    guard: ResetGuard,
    *,
    login: str,
    address: str,
) -> None:
    """Mails a reset link to an active account's verified address; silent otherwise."""
    key = login.strip().lower()
    user = await session.scalar(
        select(User).where(or_(User.username_key == key, User.email_key == key))
    )
    allowed = await guard.allows(address=address, account=str(user.id) if user else key)
    if user is None or not allowed or not user.is_active or not user.email_verified:
        return
    token, expires_at = _new_token(
        session,
        user=user,
        purpose="reset",
        lifetime=timedelta(minutes=settings.password_reset_minutes),
    )
    assert user.email is not None
    publish(
        session,
        UserPasswordResetRequested(
            user_id=user.id, email=user.email, token=token, expires_at=expires_at
        ),
    )


async def confirm_reset(
    session: AsyncSession,
    hasher: PasswordHasher,
    issuer: tokens.TokenIssuer,
    *,
    token: str,
    new_password: str,
) -> None:
    """Sets the new password and signs out every session of the account."""
    _, user = await _redeem(session, token, "reset")
    user.password_hash = await hasher.hash(new_password)
    await session.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user.id,
            EmailToken.purpose == "reset",
            EmailToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await issuer.sign_out_everywhere(session, user.id)
    publish(session, UserPasswordChanged(user_id=user.id), actor_id=user.id)


async def forget_expired(session: AsyncSession) -> None:
    """Housekeeping: expired tokens are of no use to anyone."""
    await session.execute(delete(EmailToken).where(EmailToken.expires_at < utcnow()))
