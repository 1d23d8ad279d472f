"""Who may do what in a room: the caller's room role, decided where the data lives.

Every service that keeps data inside rooms authorizes with `RoomAccess`. Its role comes from a
`RoleSource`: the rooms service reads its own memberships; every other service keeps a
replica of them, `RoomRoleReplica`, mounted with one call:

    room_roles = RoomRoleReplica(Base.metadata)      # models.py: the table `room_roles`
    ServiceDefinition(..., room_roles=room_roles)    # app.py: its handlers and its source

The replica is fed by rooms' `member.*` and `room.deleted` events and by `user.deleted`. On a
miss the rooms service is asked, with the caller's own token, and a positive answer is kept:
a member who has just joined is never refused. Nothing negative is cached.

A replica may lag behind a grant (the fallback covers it), never behind a revocation: when
rooms answers a change that takes access away (a member removed, a role lowered, a room
deleted), it has already told every service that keeps a replica (`RoomRoleRevoker`, after
its commit and before its answer). The replica then forgets those rows and keeps a tombstone
with the time, so that neither an older event still in flight nor a fallback answer given
before the change can bring the old role back. A revocation can only make a replica ask
again, never grant anything, so any signed-in caller may send one.

A route whose path holds the room id takes one of the typed dependencies (`RoomViewer`,
`RoomMember`, `RoomAdmin`, `RoomOwner`); a route whose path holds a child id (a task, a
comment) resolves the child's room through its own data, then calls `room_access`.
Outsiders get 404, never a hint that the room exists.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Protocol
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, Uuid, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import CurrentUser, Principal
from tasksync.common.client import ServiceClient, ServiceDirectory
from tasksync.common.clock import utcnow
from tasksync.common.db import DbSession, UTCDateTime, after_commit, upsert
from tasksync.common.errors import DomainError, Forbidden, NotFound, ServiceUnavailable
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts.roles import ROLE_RANK, Role
from tasksync.contracts.rooms import MemberAdded, MemberRemoved, MemberRoleChanged, RoomDeleted
from tasksync.contracts.users import UserDeleted

NO_ROOM = "No room with that id, or you are not a member of it."
REVOCATIONS_PATH = "/internal/room-roles/revocations"
# A tombstone's user for the revocation of a whole room.
EVERYONE = UUID(int=0)
log = structlog.get_logger("tasksync.room_roles")


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
    """A service's copy of room memberships: the table, its tombstones, its event handlers,
    its source and the internal route that takes revocations."""

    def __init__(self, metadata: MetaData) -> None:
        self.table = Table(
            "room_roles",
            metadata,
            Column("room_id", Uuid, primary_key=True),
            Column("user_id", Uuid, primary_key=True, index=True),
            Column("role", String(10), nullable=False),
        )
        self.tombstones = Table(
            "room_role_revocations",
            metadata,
            Column("room_id", Uuid, primary_key=True),
            # EVERYONE for a whole room.
            Column("user_id", Uuid, primary_key=True),
            Column("revoked_at", UTCDateTime, nullable=False, index=True),
        )
        self.handlers = EventHandlers("room_roles")
        self.handlers.on(MemberAdded)(self._on_role)
        self.handlers.on(MemberRoleChanged)(self._on_role)
        self.handlers.on(MemberRemoved)(self._on_removed)
        self.handlers.on(RoomDeleted)(self._on_room_deleted)
        self.handlers.on(UserDeleted)(self._on_user_deleted)

    def source(self, rooms: ServiceClient) -> "ReplicatedRoles":
        return ReplicatedRoles(self, RoomsDirectory(rooms))

    @property
    def router(self) -> APIRouter:
        """The internal route rooms sends revocations to (the gateway routes no
        `/internal/` path)."""
        router = APIRouter(include_in_schema=False)
        replica = self

        @router.post(REVOCATIONS_PATH, status_code=status.HTTP_204_NO_CONTENT)
        async def take_revocation(
            body: Revocation, _: CurrentUser, session: DbSession, request: Request
        ) -> None:
            await replica.revoke(session, room_id=body.room_id, user_id=body.user_id)
            for listener in request.app.state.kit.room_role_listeners:
                await listener(body.room_id, body.user_id)

        return router

    async def stored_role(self, session: AsyncSession, room_id: UUID, user_id: UUID) -> Role | None:
        c = self.table.c
        return await session.scalar(
            select(c.role).where(c.room_id == room_id, c.user_id == user_id)
        )

    async def store(
        self,
        session: AsyncSession,
        *,
        room_id: UUID,
        user_id: UUID,
        role: Role,
        occurred_at: datetime,
    ) -> None:
        """Sets a row (events are the authority: they overwrite), unless access was revoked
        after the event happened."""
        if await self._revoked_since(session, room_id, user_id, occurred_at):
            return
        statement = upsert(session, self.table).values(room_id=room_id, user_id=user_id, role=role)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["room_id", "user_id"], set_={"role": role}
            )
        )

    async def keep(
        self,
        session: AsyncSession,
        *,
        room_id: UUID,
        user_id: UUID,
        role: Role,
        asked_at: datetime,
    ) -> None:
        """Keeps what rooms answered on a miss, unless an event wrote the row meanwhile or
        access was revoked after the question was asked (the answer may predate it)."""
        if await self._revoked_since(session, room_id, user_id, asked_at):
            return
        statement = upsert(session, self.table).values(room_id=room_id, user_id=user_id, role=role)
        await session.execute(statement.on_conflict_do_nothing())

    async def revoke(self, session: AsyncSession, *, room_id: UUID, user_id: UUID | None) -> None:
        """Forgets the rows of one member (or of a whole room) and remembers when."""
        rows = delete(self.table).where(self.table.c.room_id == room_id)
        if user_id is not None:
            rows = rows.where(self.table.c.user_id == user_id)
        await session.execute(rows)
        now = utcnow()
        statement = upsert(session, self.tombstones).values(
            room_id=room_id, user_id=user_id or EVERYONE, revoked_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["room_id", "user_id"], set_={"revoked_at": now}
            )
        )

    async def forget_tombstones(self, session: AsyncSession, older_than: timedelta) -> None:
        """A tombstone only needs to outlive the events that could still be in flight."""
        horizon = utcnow() - older_than
        await session.execute(delete(self.tombstones).where(self.tombstones.c.revoked_at < horizon))

    async def _revoked_since(
        self, session: AsyncSession, room_id: UUID, user_id: UUID, moment: datetime
    ) -> bool:
        t = self.tombstones.c
        newest = await session.scalar(
            select(func.max(t.revoked_at)).where(
                t.room_id == room_id, or_(t.user_id == user_id, t.user_id == EVERYONE)
            )
        )
        return newest is not None and newest >= moment

    async def _on_role(self, session: AsyncSession, event: Event[MemberAdded]) -> None:
        data = event.data
        await self.store(
            session,
            room_id=data.room_id,
            user_id=data.user_id,
            role=data.role,
            occurred_at=event.envelope.occurred_at,
        )

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
        asked_at = utcnow()
        role = await self.rooms.role(room_id=room_id, user_id=user_id, token=token)
        if role is not None:
            await self.replica.keep(
                session, room_id=room_id, user_id=user_id, role=role, asked_at=asked_at
            )
        return role


class Revocation(BaseModel):
    room_id: UUID
    # None: the whole room (it was deleted).
    user_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class RoomRoleRevoker:
    """The rooms service's side: tells every service that keeps a replica of room roles
    that some access is gone, once the change has committed and before it is answered."""

    services: ServiceDirectory
    holders: Sequence[str]
    token: str
    attempts: int = 3

    def revoke(self, session: AsyncSession, *, room_id: UUID, user_id: UUID | None) -> None:
        body = Revocation(room_id=room_id, user_id=user_id).model_dump(mode="json")
        after_commit(session, lambda: self._tell_everyone(body))

    async def _tell_everyone(self, body: dict[str, object]) -> None:
        told = await asyncio.gather(*(self._tell(holder, body) for holder in self.holders))
        missed = [holder for holder, ok in zip(self.holders, told, strict=True) if not ok]
        if missed:
            # The change stands; those replicas follow it when its event arrives.
            log.error("room_role_revocation_not_delivered", services=missed, **body)

    async def _tell(self, holder: str, body: dict[str, object]) -> bool:
        client = self.services.client(holder)
        for attempt in range(self.attempts):
            try:
                response = await client.request(
                    "POST", REVOCATIONS_PATH, json=body, token=self.token
                )
                if response.ok:
                    return True
            except DomainError:  # not reachable, or timed out: try again after a pause
                pass
            await asyncio.sleep(0.05 * 2**attempt)
        return False


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
