"""Which room a task is in: a service's replica of the tasks service's task -> room keys.

A service that keeps things under tasks (comments, files) authorizes a task id by the room it
belongs to, with the room-role replica. It mounts this replica with one call:

    task_rooms = TaskRoomReplica(Base.metadata)      # models.py: the table `task_rooms`
    ServiceDefinition(..., task_rooms=task_rooms)    # app.py: its handlers and its source

It is fed by `task.created`, `task.deleted` and `room.deleted`. On a miss the tasks service
is asked for the task with the caller's own token (its answer is 404 for a task in a room
the caller is not in, as for a task that does not exist), and a found task is kept: a task
never moves to another room, so the key never goes stale.

A deleted task keeps its row, marked deleted (a tombstone, pruned after the event retention):
neither an older event nor a fallback answer given before the deletion can bring it back.
Writers under a task take the row with `room_of(..., lock=True)`, which holds it against the
deletion until they commit: a deletion waits for them, then its cascade sees what they wrote;
a writer that waited on a deletion finds the task gone. (SQLite writes one at a time anyway.)
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy import Column, MetaData, Table, Uuid, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import Principal
from tasksync.common.client import ServiceClient
from tasksync.common.clock import utcnow
from tasksync.common.db import UTCDateTime, upsert
from tasksync.common.errors import NotFound, ServiceUnavailable
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.room_roles import RoleSource, RoomAccess, room_access
from tasksync.contracts.rooms import RoomDeleted
from tasksync.contracts.tasks import TaskCreated, TaskDeleted

TASKS_PATH = "/api/v1/tasks"


class TaskRoomReplica:
    """The replica: its table, its event handlers and its source."""

    def __init__(self, metadata: MetaData) -> None:
        self.table = Table(
            "task_rooms",
            metadata,
            Column("task_id", Uuid, primary_key=True),
            Column("room_id", Uuid, nullable=False, index=True),
            # Set when the task was deleted: the row is then a tombstone.
            Column("deleted_at", UTCDateTime, nullable=True, index=True),
        )
        self.handlers = EventHandlers("task_rooms")
        self.handlers.on(TaskCreated)(self._on_created)
        self.handlers.on(TaskDeleted)(self._on_deleted)
        self.handlers.on(RoomDeleted)(self._on_room_deleted)

    def source(self, tasks: ServiceClient) -> "ReplicatedTaskRooms":
        return ReplicatedTaskRooms(self, tasks)

    async def keep(self, session: AsyncSession, *, task_id: UUID, room_id: UUID) -> None:
        """Remembers a task's room, unless the row exists (a tombstone stays one)."""
        statement = upsert(session, self.table).values(task_id=task_id, room_id=room_id)
        await session.execute(statement.on_conflict_do_nothing(index_elements=["task_id"]))

    async def forget(self, session: AsyncSession, *, task_id: UUID, room_id: UUID) -> None:
        """Marks a task deleted (first thing in a cascade: it waits for writers under it)."""
        now = utcnow()
        statement = upsert(session, self.table).values(
            task_id=task_id, room_id=room_id, deleted_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(index_elements=["task_id"], set_={"deleted_at": now})
        )

    async def stored(
        self, session: AsyncSession, task_id: UUID, *, lock: bool
    ) -> tuple[UUID, datetime | None] | None:
        """(room_id, deleted_at) of a known task, or None."""
        c = self.table.c
        query = select(c.room_id, c.deleted_at).where(c.task_id == task_id)
        if lock and session.get_bind().dialect.name == "sqlite":
            # SQLite begins a transaction at its first write, and then writes alone.
            await session.execute(
                update(self.table).where(c.task_id == task_id).values(room_id=c.room_id)
            )
        elif lock:
            # FOR SHARE: writers under one task do not wait for each other, only a deletion.
            query = query.with_for_update(read=True)
        row = (await session.execute(query)).first()
        return None if row is None else (row.room_id, row.deleted_at)

    async def forget_tombstones(self, session: AsyncSession, older_than: timedelta) -> None:
        """A tombstone only needs to outlive the events that could still be in flight."""
        horizon = utcnow() - older_than
        await session.execute(delete(self.table).where(self.table.c.deleted_at < horizon))

    async def _on_created(self, session: AsyncSession, event: Event[TaskCreated]) -> None:
        await self.keep(session, task_id=event.data.task_id, room_id=event.data.room_id)

    async def _on_deleted(self, session: AsyncSession, event: Event[TaskDeleted]) -> None:
        await self.forget(session, task_id=event.data.task_id, room_id=event.data.room_id)

    async def _on_room_deleted(self, session: AsyncSession, event: Event[RoomDeleted]) -> None:
        c = self.table.c
        await session.execute(
            update(self.table)
            .where(c.room_id == event.data.room_id, c.deleted_at.is_(None))
            .values(deleted_at=utcnow())
        )


@dataclass(frozen=True, slots=True)
class ReplicatedTaskRooms:
    """The replica first; on a miss, the tasks service (and a found task is kept)."""

    replica: TaskRoomReplica
    tasks: ServiceClient

    async def room_of(
        self, session: AsyncSession, *, task_id: UUID, token: str, lock: bool = False
    ) -> UUID | None:
        """The room of a task that exists, or None (deleted, unknown, or not visible to the
        caller when tasks had to be asked). With `lock`, the task cannot be deleted until
        the session commits."""
        found = await self.replica.stored(session, task_id, lock=lock)
        if found is None:
            room_id = await self._ask(task_id, token)
            if room_id is None:
                return None
            await self.replica.keep(session, task_id=task_id, room_id=room_id)
            found = await self.replica.stored(session, task_id, lock=lock)
            if found is None:  # pruned meanwhile: not worth a second question
                return None
        room_id, deleted_at = found
        return None if deleted_at is not None else room_id

    async def _ask(self, task_id: UUID, token: str) -> UUID | None:
        response = await self.tasks.get(f"{TASKS_PATH}/{task_id}", token=token)
        if response.status == 200:
            return UUID(str(response.json()["room_id"]))
        if response.status == 404:
            return None
        raise ServiceUnavailable("The tasks service could not say which room a task is in.")


async def task_access(
    session: AsyncSession,
    roles: RoleSource,
    task_rooms: ReplicatedTaskRooms,
    *,
    task_id: UUID,
    caller: Principal,
    not_found: str,
    lock: bool = False,
) -> RoomAccess:
    """The caller's access to a task's room; 404 (`not_found`) for a task that does not
    exist, no longer does, or is in a room the caller is not in. With `lock`, the task cannot
    be deleted before the session commits."""
    room_id = await task_rooms.room_of(session, task_id=task_id, token=caller.token, lock=lock)
    if room_id is None:
        raise NotFound(not_found)
    try:
        return await room_access(roles, session, room_id=room_id, caller=caller)
    except NotFound:
        raise NotFound(not_found) from None


async def _task_rooms(request: Request) -> ReplicatedTaskRooms:
    source = request.app.state.kit.task_rooms
    assert source is not None, "the service's definition names no task_rooms"
    return source


TaskRooms = Annotated[ReplicatedTaskRooms, Depends(_task_rooms)]
