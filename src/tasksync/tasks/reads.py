"""The hot reads: one task, and a page of a room's tasks or of the caller's.

A board opens with these, many times a second, so they skip what writes need: they run Core
statements on an autocommit connection (no BEGIN/COMMIT round trips), check the membership
in the task's own query, and return plain rows for orjson. The ORM and a pydantic pass
tripled the CPU of a read (docs/performance.md). Writes keep the ORM and its version check.
A room's pages are served from `PageCache` while the room is unchanged.
"""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import and_, bindparam, select

from tasksync.common.db import Database
from tasksync.common.errors import NotFound
from tasksync.common.pagination import PageParams, Slice
from tasksync.common.responses import json_bytes
from tasksync.tasks import queries
from tasksync.tasks.access import Caller, RoomsDirectory, role_in_room
from tasksync.tasks.models import Membership, RoomCounter, Task
from tasksync.tasks.page_cache import PageCache, page_key
from tasksync.tasks.queries import TASK_COLUMNS, Sort, TaskFilter, TaskRow

NO_TASK = "No such task."
NO_ROOM = "No such room, or you are not a member of it."

# Built once: composing a statement per request cost more than running it.
_TASK_AND_ROLE = (
    select(*TASK_COLUMNS, Membership.role)
    .select_from(
        Task.__table__.outerjoin(
            Membership.__table__,
            and_(Membership.room_id == Task.room_id, Membership.user_id == bindparam("user_id")),
        )
    )
    .where(Task.id == bindparam("task_id"))
)
_ROLE_AND_VERSION = (
    select(Membership.role, RoomCounter.version)
    .select_from(
        Membership.__table__.outerjoin(
            RoomCounter.__table__, RoomCounter.room_id == Membership.room_id
        )
    )
    .where(Membership.room_id == bindparam("room_id"), Membership.user_id == bindparam("user_id"))
)
_VERSION = select(RoomCounter.version).where(RoomCounter.room_id == bindparam("room_id"))


@dataclass(frozen=True, slots=True)
class Reader:
    """A signed-in caller, and what the service reads with."""

    caller: Caller
    db: Database
    rooms: RoomsDirectory
    pages: PageCache


async def _confirmed_role(
    db: Database, rooms: RoomsDirectory, *, room_id: UUID, caller: Caller
) -> str | None:
    """The replica had no row: ask rooms (and keep a yes), in a transaction of its own."""
    async with db.sessionmaker.begin() as session:
        return await role_in_room(
            session, rooms, room_id=room_id, user_id=caller.id, token=caller.token
        )


async def task(reader: Reader, *, task_id: UUID) -> TaskRow:
    """One task, if the caller is in its room (404 otherwise, as for a missing task)."""
    db, caller = reader.db, reader.caller
    found = await db.first(_TASK_AND_ROLE, {"task_id": task_id, "user_id": caller.id})
    if found is None:
        raise NotFound(NO_TASK)
    role = found.pop("role")
    if role is None and not await _confirmed_role(
        db, reader.rooms, room_id=found["room_id"], caller=caller
    ):
        raise NotFound(NO_TASK)
    return found


async def room_page(
    reader: Reader, *, room_id: UUID, filters: TaskFilter, sort: Sort, page: PageParams
) -> bytes:
    """A page of a room's tasks, for any member of it, as JSON (`{items, next_cursor}`)."""
    db, caller = reader.db, reader.caller
    found = await db.first(_ROLE_AND_VERSION, {"room_id": room_id, "user_id": caller.id})
    if found is None:
        if not await _confirmed_role(db, reader.rooms, room_id=room_id, caller=caller):
            raise NotFound(NO_ROOM)
        found = await db.first(_VERSION, {"room_id": room_id}) or {}
    key = page_key(
        room_id=room_id,
        version=found.get("version") or 0,
        caller_id=caller.id,
        filters=filters,
        sort=sort,
        page=page,
    )
    body = reader.pages.get(key) if key else None
    if body is None:
        async with db.reading() as connection:
            tasks = await queries.room_tasks(
                connection,
                room_id=room_id,
                user_id=caller.id,
                filters=filters,
                sort=sort,
                page=page,
            )
        body = json_bytes({"items": tasks.items, "next_cursor": tasks.next_cursor})
        if key:
            reader.pages.put(key, body)
    return body


async def my_page(
    reader: Reader, *, filters: TaskFilter, sort: Sort, page: PageParams
) -> Slice[TaskRow]:
    """A page of the caller's tasks across their rooms."""
    async with reader.db.reading() as connection:
        return await queries.member_tasks(
            connection, user_id=reader.caller.id, filters=filters, sort=sort, page=page
        )
