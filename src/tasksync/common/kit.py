"""What the kit builds for every service app in its lifespan, typed: `app.state.kit`.

A service's own start hook receives it and returns the service's runtime object (its rate
limiters, caches, keys...), kept as `app.state.runtime`; routes reach both through typed
dependencies, never through loose attributes of `app.state`. Event handlers, which receive
only a session, reach the runtime object with `runtime_of(session)`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.client import ServiceDirectory
from tasksync.common.db import Database
from tasksync.common.settings import ServiceSettings

if TYPE_CHECKING:
    from sqlalchemy import Table

    from tasksync.common.events.runtime import EventRuntime
    from tasksync.common.known_users import KnownUsers
    from tasksync.common.revocations import Revocations
    from tasksync.common.room_roles import RoleSource
    from tasksync.common.task_rooms import ReplicatedTaskRooms


@dataclass
class Kit:
    name: str
    settings: ServiceSettings
    db: Database
    redis: Redis | None
    services: ServiceDirectory
    events: "EventRuntime | None" = None
    # Where the room roles of callers come from (the replica, or rooms' own table).
    room_roles: "RoleSource | None" = None
    known_users: "KnownUsers | None" = None
    # Which room a task is in, for services that keep things under tasks.
    task_rooms: "ReplicatedTaskRooms | None" = None
    # Signed-out sessions and revoked accounts, which `authenticate` reads.
    revocations: "Revocations | None" = None
    idempotency_keys: "Table | None" = None
    # Called with (room_id, user_id or None for the whole room) when rooms revokes access,
    # after the replica forgot it and before the revocation is answered.
    room_role_listeners: list[Callable[[UUID, UUID | None], Awaitable[None]]] = field(
        default_factory=list
    )
    # What else `/ready` checks (name -> a call that raises when it is not reachable).
    checks: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    # Run when the app stops, newest first (what the start hook opened).
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


# The key of the runtime object in every session's `info`.
RUNTIME = "tasksync.runtime"


def runtime_of(session: AsyncSession) -> Any:
    """The service's runtime object (what its start hook returned), for event handlers."""
    return session.info[RUNTIME]
