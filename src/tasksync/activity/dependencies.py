"""Typed dependencies of the activity routes: list filters and the system administrator.

Every dependency is `async def`, even with nothing to await: FastAPI runs a plain function in
a thread pool, and the hand-off costs more than the function.
"""

from dataclasses import replace
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Request
from pydantic import AwareDatetime

from tasksync.activity.queries import EntryFilter
from tasksync.activity.settings import ActivitySettings
from tasksync.common.auth import CurrentUser, Principal
from tasksync.common.errors import Forbidden, ServiceUnavailable, Unauthorized

TYPE_PATTERN = r"^[a-z_]+(\.[a-z_]+|\.\*)?$"
ADMINS_ONLY = "Only system administrators may read the audit."


async def _filters(
    type: Annotated[
        list[Annotated[str, Query(max_length=100, pattern=TYPE_PATTERN)]] | None,
        Query(description="an event type, or `task.*` for a family; repeat for several"),
    ] = None,
    actor: Annotated[UUID | None, Query(description="who did it (a user id)")] = None,
    since: Annotated[AwareDatetime | None, Query(description="happened at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="happened before")] = None,
) -> EntryFilter:
    return EntryFilter(types=tuple(type or ()), actor_id=actor, since=since, until=until)


async def _audit_filters(
    base: Annotated[EntryFilter, Depends(_filters)],
    room: Annotated[UUID | None, Query(description="in that room")] = None,
    subject: Annotated[
        UUID | None, Query(description="about that task, member, account...")
    ] = None,
) -> EntryFilter:
    return replace(base, room_id=room, subject_id=subject)


async def _system_admin(request: Request, caller: CurrentUser) -> Principal:
    """The caller, when the users service says they are a system administrator now."""
    users = request.app.state.kit.services.client("users")
    response = await users.get("/api/v1/users/me", token=caller.token)
    if response.status == 401:
        raise Unauthorized("This account no longer exists or is deactivated.")
    if not response.ok:
        raise ServiceUnavailable("The users service could not confirm who you are.")
    if not response.json().get("is_admin"):
        raise Forbidden(ADMINS_ONLY)
    return caller


async def _settings(request: Request) -> ActivitySettings:
    settings = request.app.state.settings
    assert isinstance(settings, ActivitySettings)
    return settings


Filters = Annotated[EntryFilter, Depends(_filters)]
AuditFilters = Annotated[EntryFilter, Depends(_audit_filters)]
SystemAdmin = Annotated[Principal, Depends(_system_admin)]
Settings = Annotated[ActivitySettings, Depends(_settings)]
