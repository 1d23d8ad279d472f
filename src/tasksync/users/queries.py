"""Every query of the users service: accounts, refresh tokens and signing keys."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.db import escape_like, upsert
from tasksync.common.pagination import PageParams, Slice, decode_cursor, keyset_slice
from tasksync.users.models import RefreshToken, SignInFailure, SigningKey, User

# Accounts

# What a sign-in checks its password against, read before its unit of work opens.
PASSWORD_OF = select(User.id, User.password_hash).where(User.username_key == bindparam("key"))


async def user_named(session: AsyncSession, username: str) -> User | None:
    """The account with that username, whatever its case."""
    return await session.scalar(select(User).where(User.username_key == username.lower()))


async def taken(
    session: AsyncSession,
    *,
    username: str | None = None,
    email: str | None = None,
    except_id: UUID | None = None,
) -> bool:
    """Whether another account has that username (or e-mail), ignoring case."""
    if username is not None:
        condition = User.username_key == username.lower()
    else:
        assert email is not None
        condition = User.email_key == email.lower()
    query = select(User.id).where(condition)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return await session.scalar(query.limit(1)) is not None


async def users_starting_with(
    session: AsyncSession, prefix: str | None, page: PageParams
) -> Slice[User]:
    """Accounts whose username starts with `prefix`, in username order."""
    query = select(User).order_by(User.username_key).limit(page.limit + 1)
    if prefix:
        query = query.where(User.username_key.like(f"{escape_like(prefix.lower())}%", escape="\\"))
    if page.cursor:
        (after,) = decode_cursor(page.cursor, str)
        query = query.where(User.username_key > after)
    rows = (await session.scalars(query)).all()
    return keyset_slice(rows, page.limit, lambda user: [user.username_key])


# Refresh tokens


async def refresh_token(session: AsyncSession, digest: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))


async def revoke_if_live(session: AsyncSession, token_id: UUID) -> bool:
    """Revokes one token unless it is revoked already; False when another request did it
    first (so two concurrent rotations cannot both succeed)."""
    result: CursorResult = await session.execute(  # type: ignore[assignment]
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount == 1


async def revoke_tokens(
    session: AsyncSession,
    *,
    digest: str | None = None,
    family_id: UUID | None = None,
    user_id: UUID | None = None,
    except_family: UUID | None = None,
) -> None:
    """Revokes the live tokens of one digest, one family, or one user (but one family)."""
    query = update(RefreshToken).where(RefreshToken.revoked_at.is_(None))
    if digest is not None:
        query = query.where(RefreshToken.token_hash == digest)
    if family_id is not None:
        query = query.where(RefreshToken.family_id == family_id)
    if user_id is not None:
        query = query.where(RefreshToken.user_id == user_id)
    if except_family is not None:
        query = query.where(RefreshToken.family_id != except_family)
    await session.execute(query.values(revoked_at=utcnow()))


# Signing keys


async def active_key(session: AsyncSession) -> SigningKey | None:
    """The newest key that is not retired: the one that signs."""
    return await session.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    )


async def retire_keys(session: AsyncSession) -> None:
    await session.execute(
        update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=utcnow())
    )


async def forget_keys_retired_before(session: AsyncSession, horizon: datetime) -> None:
    await session.execute(delete(SigningKey).where(SigningKey.retired_at < horizon))


async def public_keys(session: AsyncSession, retired_after: datetime) -> list[dict]:
    """The public keys of the signing key and of keys retired after `retired_after`."""
    rows = await session.scalars(
        select(SigningKey.public_jwk)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_after))
        .order_by(SigningKey.created_at.desc())
    )
    return list(rows)


# Failed sign-ins


async def count_failure(session: AsyncSession, user_id: UUID, minute: datetime) -> None:
    """One more wrong password for the account in that minute."""
    table = SignInFailure.__table__
    statement = upsert(session, table).values(user_id=user_id, minute=minute, failures=1)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "minute"], set_={"failures": table.c.failures + 1}
        )
    )


async def take_failures_before(
    session: AsyncSession, minute: datetime
) -> list[tuple[UUID, str, datetime, int]]:
    """Removes and returns the counts of minutes before `minute`, with the usernames: a row
    is taken by one transaction only, so each minute is announced once."""
    table = SignInFailure.__table__
    taken = (
        await session.execute(
            delete(table)
            .where(table.c.minute < minute)
            .returning(table.c.user_id, table.c.minute, table.c.failures)
        )
    ).all()
    if not taken:
        return []
    names = dict(
        (
            await session.execute(
                select(User.id, User.username).where(User.id.in_({row[0] for row in taken}))
            )
        ).all()
    )
    return [
        (user_id, names[user_id], at, failures)
        for user_id, at, failures in taken
        if user_id in names
    ]
