"""Accounts: registration, sign-in, profiles, search and administration.

Functions take the session first and never commit: the request is the unit of work.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import Principal
from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.errors import Conflict, Forbidden, NotFound, Unauthorized
from tasksync.common.events.outbox import publish
from tasksync.common.pagination import PageParams, Slice
from tasksync.contracts.users import (
    UserAdminGranted,
    UserAdminRemoved,
    UserDeactivated,
    UserDeleted,
    UserPasswordChanged,
    UserReactivated,
    UserRegistered,
    UserSignedIn,
    UserSignInFailed,
    UserUpdated,
)
from tasksync.users import account_mail, queries, tokens
from tasksync.users.guards import LoginGuard, RegistrationGuard
from tasksync.users.models import User
from tasksync.users.passwords import HashingBusy, PasswordHasher
from tasksync.users.schemas import AdminUserUpdate, ProfileUpdate, RegisterIn
from tasksync.users.settings import UsersSettings


async def _ensure_free(
    session: AsyncSession, *, username: str | None, email: str | None, except_id: UUID | None = None
) -> None:
    if username is not None and await queries.taken(
        session, username=username, except_id=except_id
    ):
        raise Conflict("That username is already taken.")
    if email is not None and await queries.taken(session, email=email, except_id=except_id):
        raise Conflict("That e-mail is already taken.")


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # lost a race with a concurrent registration
        raise Conflict("That username or e-mail is already taken.") from exc


async def register(
    session: AsyncSession,
    hasher: PasswordHasher,
    guard: RegistrationGuard,
    *,
    data: RegisterIn,
    address: str,
    settings: UsersSettings,
) -> User:
    await guard.check(address)
    await _ensure_free(session, username=data.username, email=data.email)
    try:
        password_hash = await hasher.hash(data.password)
    except HashingBusy:
        await guard.turned_away(address)
        raise
    user = User(
        username=data.username,
        username_key=data.username.lower(),
        email=data.email,
        email_key=data.email.lower() if data.email else None,
        full_name=data.full_name,
        password_hash=password_hash,
    )
    session.add(user)
    await _flush(session)
    publish(
        session,
        UserRegistered(user_id=user.id, username=user.username, full_name=user.full_name),
        actor_id=user.id,
    )
    if user.email is not None:
        await account_mail.address_changed(session, settings, user=user)
    return user


@dataclass(frozen=True)
class PasswordCheck:
    """A sign-in's password, checked before its unit of work opens."""

    username: str
    user_id: UUID | None
    matches: bool
    # The hash that replaces one made with other parameters than today's.
    upgraded: str | None


async def check_password(
    db: Database,
    hasher: PasswordHasher,
    guard: LoginGuard,
    *,
    username: str,
    password: str,
    address: str,
) -> PasswordCheck:
    """Checks a sign-in's password holding no database connection: a sign-in waiting for a
    hashing turn (or shed) must not keep a connection from the service's other requests."""
    await guard.check(username, address)
    found = await db.first(queries.PASSWORD_OF, {"key": username.lower()})
    try:
        matches, upgraded = await hasher.check(found["password_hash"] if found else None, password)
    except HashingBusy:
        await guard.turned_away(username)
        raise
    return PasswordCheck(username, found["id"] if found else None, matches, upgraded)


async def authenticate(
    session: AsyncSession, guard: LoginGuard, *, checked: PasswordCheck, address: str
) -> User:
    await announce_failures(session)
    user = await session.get(User, checked.user_id) if checked.user_id else None
    if not checked.matches or user is None:
        await guard.failed(address)
        if user is not None:
            await queries.count_failure(session, user.id, _minute(utcnow()))
        raise WrongPassword("Wrong username or password.")
    await guard.succeeded(checked.username)
    if not user.is_active:
        raise Forbidden("This account is deactivated; ask an administrator to reactivate it.")
    if checked.upgraded is not None:  # made with other parameters than today's
        user.password_hash = checked.upgraded
    publish(session, UserSignedIn(user_id=user.id, username=user.username), actor_id=user.id)
    return user


class WrongPassword(Unauthorized):
    """A failed sign-in: refused, and counted for the audit (so the count is kept)."""

    keeps_changes = True


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def announce_failures(session: AsyncSession, *, now: datetime | None = None) -> None:
    """Announces the failed sign-ins of every minute that is over: one event per account and
    minute, with the count, so a password-guessing burst is one entry in the audit."""
    current = _minute(now or utcnow())
    for user_id, username, minute, failures in await queries.take_failures_before(session, current):
        publish(
            session,
            UserSignInFailed(user_id=user_id, username=username, minute=minute, failures=failures),
            actor_id=None,
        )


async def account(session: AsyncSession, principal: Principal) -> User:
    """The caller's own account, which must still exist and be active."""
    user = await session.get(User, principal.id)
    if user is None or not user.is_active:
        raise Unauthorized("This account no longer exists or is deactivated.")
    return user


async def update_profile(
    session: AsyncSession,
    hasher: PasswordHasher,
    issuer: tokens.TokenIssuer,
    *,
    user: User,
    changes: ProfileUpdate,
    session_id: str,
    settings: UsersSettings,
) -> User:
    fields = changes.model_fields_set
    old_email = (user.email or "").lower()
    before = (user.username, user.full_name)
    if "password" in fields and changes.password is not None:
        if not changes.current_password or not await hasher.verify(
            user.password_hash, changes.current_password
        ):
            raise Forbidden(
                "current_password is missing or wrong; it is needed to change the password."
            )
        user.password_hash = await hasher.hash(changes.password)
        await issuer.sign_out_everywhere(session, user.id, except_session=session_id)
        publish(session, UserPasswordChanged(user_id=user.id), actor_id=user.id)
    if "username" in fields and changes.username is not None:
        await _ensure_free(session, username=changes.username, email=None, except_id=user.id)
        user.username, user.username_key = changes.username, changes.username.lower()
    if "email" in fields:
        if changes.email is not None:
            await _ensure_free(session, username=None, email=changes.email, except_id=user.id)
        user.email = changes.email
        user.email_key = changes.email.lower() if changes.email else None
    if "full_name" in fields:
        user.full_name = changes.full_name
    await _flush(session)
    changed = [
        name
        for name, old, new in zip(
            ("username", "full_name"), before, (user.username, user.full_name), strict=True
        )
        if old != new
    ]
    if (user.email or "").lower() != old_email:
        await account_mail.address_changed(session, settings, user=user)
    if changed:
        publish(
            session,
            UserUpdated(
                user_id=user.id, username=user.username, full_name=user.full_name, changed=changed
            ),
            actor_id=user.id,
        )
    return user


async def delete_account(
    session: AsyncSession,
    hasher: PasswordHasher,
    issuer: tokens.TokenIssuer,
    *,
    user: User,
    password: str,
) -> None:
    """Deletes the account; its tokens stop working everywhere before this is answered."""
    if not await hasher.verify(user.password_hash, password):
        raise Forbidden("The password is wrong; it is needed to delete the account.")
    await issuer.sign_out_everywhere(session, user.id)
    await session.delete(user)
    publish(session, UserDeleted(user_id=user.id), actor_id=user.id)


async def get_user(session: AsyncSession, user_id: UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No user with that id.")
    return user


async def search(session: AsyncSession, *, prefix: str | None, page: PageParams) -> Slice[User]:
    """Users whose username starts with `prefix`, in username order."""
    return await queries.users_starting_with(session, prefix, page)


async def admin_update(
    session: AsyncSession,
    issuer: tokens.TokenIssuer,
    *,
    admin: User,
    user_id: UUID,
    changes: AdminUserUpdate,
) -> User:
    user = await get_user(session, user_id)
    if user.id == admin.id and (changes.is_active is False or changes.is_admin is False):
        raise Conflict("Administrators cannot deactivate or demote themselves.")
    if changes.is_admin is not None and changes.is_admin != user.is_admin:
        user.is_admin = changes.is_admin
        granted = UserAdminGranted if user.is_admin else UserAdminRemoved
        publish(session, granted(user_id=user.id), actor_id=admin.id)
    if changes.is_active is not None and changes.is_active != user.is_active:
        user.is_active = changes.is_active
        if user.is_active:
            publish(session, UserReactivated(user_id=user.id), actor_id=admin.id)
        else:
            await issuer.sign_out_everywhere(session, user.id)
            publish(session, UserDeactivated(user_id=user.id), actor_id=admin.id)
    await _flush(session)
    return user


async def promote(session: AsyncSession, *, username: str) -> User:
    user = await queries.user_named(session, username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    if not user.is_admin:
        user.is_admin = True
        publish(session, UserAdminGranted(user_id=user.id))
    return user
