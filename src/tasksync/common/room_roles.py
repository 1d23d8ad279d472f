"""Who may do what in a room: the caller's room role, decided where the data lives.

Every service that keeps data inside rooms authorizes with `RoomAccess`. Its role comes from a
`RoleSource`: the rooms service reads its own memberships; every other service keeps a
replica of them, `RoomRoleReplica`, mounted with one call:

    room_roles = RoomRoleReplica(Base.metadata)      # models.py: the table `room_roles`
    ServiceDefinition(..., room_roles=room_roles)    # app.py: its handlers and its source

The replica is fed by rooms' `member.*` and `room.deleted` events and by `user.deleted`. On a
miss the rooms service is asked, with the caller's own token, and a positive answer is kept:
a member who has just joined is never refused. Nothing negative is cached.

A route whose path holds the room id takes one of the typed dependencies (`RoomViewer`,
`RoomMember`, `RoomAdmin`, `RoomOwner`); a route whose path holds a child id (a task, a
comment) resolves the child's room through its own data, then calls `room_access`.
Outsiders get 404, never a hint that the room exists.
"""

from dataclasses import dataclass
from typing import Annotated, Protocol
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy import Column, MetaData, String, Table, Uuid, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import CurrentUser, Principal
from tasksync.common.client import ServiceClient
from tasksync.common.db import DbSession, upsert
from tasksync.common.errors import Forbidden, NotFound, ServiceUnavailable
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts.roles import ROLE_RANK, Role
from tasksync.contracts.rooms import MemberAdded, MemberRemoved, MemberRoleChanged, RoomDeleted
from tasksync.contracts.users import UserDeleted

NO_ROOM = "No room with that id, or you are not a member of it."


@dataclass(frozen=True, slots=True)
class RoomAccess:
    """The caller's role in one room."""

    room_id: UUID
    caller: Principal
    role: Role

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def require(self, role: Role, action: str) -> None:
        if not self.at_least(role):
            raise Forbidden(f"Your role in this room ({self.role}) does not allow you to {action}.")


class RoleSource(Protocol):
    async def role(
        self, session: AsyncSession, *, room_id: UUID, user_id: UUID, token: str
    ) -> Role | None:
        """The user's role in the room, or None when not a member."""
        ...


async def room_access(
    source: RoleSource, session: AsyncSession, *, room_id: UUID, caller: Principal
) -> RoomAccess:
    """The caller's access to a room; 404 for an outsider."""
    role = await source.role(session, room_id=room_id, user_id=caller.id, token=caller.token)
    if role is None:
        raise NotFound(NO_ROOM)
    return RoomAccess(room_id=room_id, caller=caller, role=role)


class RoomsDirectory:
    """Asks the rooms service about one membership."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def role(self, *, room_id: UUID, user_id: UUID, token: str) -> Role | None:
        response = await self.client.get(f"/api/v1/rooms/{room_id}/members/{user_id}", token=token)
        if response.status == 200:
            role = response.json().get("role")
            return role if role in ROLE_RANK else None
        if response.status == 404:
            return None
        raise ServiceUnavailable("The rooms service could not confirm a room membership.")


class RoomRoleReplica:
    """A service's copy of room memberships: the table, its event handlers, its source."""

    def __init__(self, metadata: MetaData) -> None:
        self.table = Table(
            "room_roles",
            metadata,
            Column("room_id", Uuid, primary_key=True),
            Column("user_id", Uuid, primary_key=True, index=True),
            Column("role", String(10), nullable=False),
        )
        self.handlers = EventHandlers("room_roles")
        self.handlers.on(MemberAdded)(self._on_role)
        self.handlers.on(MemberRoleChanged)(self._on_role)
        self.handlers.on(MemberRemoved)(self._on_removed)
        self.handlers.on(RoomDeleted)(self._on_room_deleted)
        self.handlers.on(UserDeleted)(self._on_user_deleted)

    def source(self, rooms: ServiceClient) -> "ReplicatedRoles":
        return ReplicatedRoles(self, RoomsDirectory(rooms))

    async def stored_role(self, session: AsyncSession, room_id: UUID, user_id: UUID) -> Role | None:
        c = self.table.c
        return await session.scalar(
            select(c.role).where(c.room_id == room_id, c.user_id == user_id)
        )

    async def store(
        self, session: AsyncSession, *, room_id: UUID, user_id: UUID, role: Role
    ) -> None:
        """Sets a row (events are the authority: they overwrite)."""
        statement = upsert(session, self.table).values(room_id=room_id, user_id=user_id, role=role)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["room_id", "user_id"], set_={"role": role}
            )
        )

    async def keep(
        self, session: AsyncSession, *, room_id: UUID, user_id: UUID, role: Role
    ) -> None:
        """Keeps what rooms answered on a miss, unless an event wrote the row meanwhile."""
        statement = upsert(session, self.table).values(room_id=room_id, user_id=user_id, role=role)
        await session.execute(statement.on_conflict_do_nothing())

    async def _on_role(self, session: AsyncSession, event: Event[MemberAdded]) -> None:
        data = event.data
        await self.store(session, room_id=data.room_id, user_id=data.user_id, role=data.role)

    async def _on_removed(self, session: AsyncSession, event: Event[MemberRemoved]) -> None:
        c = self.table.c
        await session.execute(
            delete(self.table).where(
                c.room_id == event.data.room_id, c.user_id == event.data.user_id
            )
        )

    async def _on_room_deleted(self, session: AsyncSession, event: Event[RoomDeleted]) -> None:
        await session.execute(delete(self.table).where(self.table.c.room_id == event.data.room_id))

    async def _on_user_deleted(self, session: AsyncSession, event: Event[UserDeleted]) -> None:
        await session.execute(delete(self.table).where(self.table.c.user_id == event.data.user_id))


@dataclass(frozen=True, slots=True)
class ReplicatedRoles:
    """The replica first; on a miss, the rooms service (and a yes is kept)."""

    replica: RoomRoleReplica
    rooms: RoomsDirectory

    async def role(
        self, session: AsyncSession, *, room_id: UUID, user_id: UUID, token: str
    ) -> Role | None:
        role = await self.replica.stored_role(session, room_id, user_id)
        if role is not None:
            return role
        role = await self.rooms.role(room_id=room_id, user_id=user_id, token=token)
        if role is not None:
            await self.replica.keep(session, room_id=room_id, user_id=user_id, role=role)
        return role


async def _role_source(request: Request) -> RoleSource:
    source = request.app.state.kit.room_roles
    assert source is not None, "the service's definition names no room_roles"
    return source


RoomRoles = Annotated[RoleSource, Depends(_role_source)]


def _requiring(role: Role):
    async def access(
        room_id: UUID, caller: CurrentUser, session: DbSession, source: RoomRoles
    ) -> RoomAccess:
        found = await room_access(source, session, room_id=room_id, caller=caller)
        found.require(role, "do this")
        return found

    return access


# The caller's access to the room in the path: any role, member and up, admin and up, owner.
RoomViewer = Annotated[RoomAccess, Depends(_requiring("viewer"))]
RoomMember = Annotated[RoomAccess, Depends(_requiring("member"))]
RoomAdmin = Annotated[RoomAccess, Depends(_requiring("admin"))]
RoomOwner = Annotated[RoomAccess, Depends(_requiring("owner"))]
