import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import StringConstraints

from tasksync.contracts.events import EventData, event_type

# A username is 3 to 40 letters, digits, `_`, `.` or `-`; unique regardless of case.
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
Username = Annotated[
    str, StringConstraints(min_length=3, max_length=40, pattern=USERNAME_PATTERN.pattern)
]


@event_type("user.registered", producer="users")
class UserRegistered(EventData):
    """A new account exists."""

    user_id: UUID
    username: str
    full_name: str | None


@event_type("user.updated", producer="users")
class UserUpdated(EventData):
    """An account's public profile changed; `changed` names the fields."""

    user_id: UUID
    username: str
    full_name: str | None
    changed: list[str]


@event_type("user.deactivated", producer="users")
class UserDeactivated(EventData):
    """An administrator deactivated an account: it can no longer sign in."""

    user_id: UUID


@event_type("user.reactivated", producer="users")
class UserReactivated(EventData):
    """An administrator reactivated an account."""

    user_id: UUID


@event_type("user.deleted", producer="users")
class UserDeleted(EventData):
    """An account was deleted; everything that belonged to it must follow."""

    user_id: UUID


@event_type("user.signed_in", producer="users")
class UserSignedIn(EventData):
    """Someone signed in with their password (a new session began)."""

    user_id: UUID
    username: str


@event_type("user.sign_in_failed", producer="users")
class UserSignInFailed(EventData):
    """A wrong password was given for an account. Failures of one account within one minute
    are one event (`minute`, its start), counted in `failures` when the minute is over."""

    user_id: UUID
    username: str
    minute: datetime
    failures: int


@event_type("user.signed_out", producer="users")
class UserSignedOut(EventData):
    """A session was signed out."""

    user_id: UUID


@event_type("user.password_changed", producer="users")
class UserPasswordChanged(EventData):
    """An account's password changed; its other sessions were signed out."""

    user_id: UUID


@event_type("user.token_reuse_detected", producer="users")
class UserTokenReuseDetected(EventData):
    """A refresh token that had been used already came back: it was stolen or replayed, and
    every session of its family is signed out."""

    user_id: UUID


@event_type("user.admin_granted", producer="users")
class UserAdminGranted(EventData):
    """An account became a system administrator."""

    user_id: UUID


@event_type("user.admin_removed", producer="users")
class UserAdminRemoved(EventData):
    """An account is no longer a system administrator."""

    user_id: UUID


@event_type("user.email_verification_requested", producer="users")
class UserEmailVerificationRequested(EventData):
    """An account set or changed its e-mail address: the notifications service mails the
    address a single-use `token` (valid until `expires_at`) to prove it. The token is a
    secret: see "Secrets in events" below."""

    user_id: UUID
    email: str
    token: str
    expires_at: datetime


@event_type("user.email_verified", producer="users")
class UserEmailVerified(EventData):
    """An account proved it owns `email`: from now on it may receive e-mail there."""

    user_id: UUID
    email: str


@event_type("user.email_removed", producer="users")
class UserEmailRemoved(EventData):
    """An account has no e-mail address any more: nothing is mailed to it."""

    user_id: UUID


@event_type("user.password_reset_requested", producer="users")
class UserPasswordResetRequested(EventData):
    """Someone asked to reset an active account's password: the notifications service mails
    its verified `email` a single-use `token` (valid until `expires_at`). The token is a
    secret: see "Secrets in events" below."""

    user_id: UUID
    email: str
    token: str
    expires_at: datetime


EVENTS = (
    UserRegistered,
    UserUpdated,
    UserDeactivated,
    UserReactivated,
    UserDeleted,
    UserSignedIn,
    UserSignInFailed,
    UserSignedOut,
    UserPasswordChanged,
    UserTokenReuseDetected,
    UserAdminGranted,
    UserAdminRemoved,
    UserEmailVerificationRequested,
    UserEmailVerified,
    UserEmailRemoved,
    UserPasswordResetRequested,
)
