import re
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


EVENTS = (UserRegistered, UserUpdated, UserDeactivated, UserReactivated, UserDeleted)
