"""The hot reads: one task, and a page of a room's tasks or of the caller's.

A board opens with these, many times a second, so they skip what writes need: they run Core
statements on an autocommit connection (no BEGIN/COMMIT round trips), check the membership
in the task's own query, and return plain rows for orjson. The ORM and a pydantic pass
tripled the CPU of a read (docs/performance.md). Writes keep the ORM and its version check.
A room's pages are served from `PageCache` while the room is unchanged.
"""

from dataclasses import dataclass
from uuid import UUID

from tasksync.common.auth import Principal
from tasksync.common.db import Database
from tasksync.common.errors import NotFound
from tasksync.common.pagination import PageParams, Slice
from tasksync.common.responses import json_bytes
from tasksync.common.room_roles import NO_ROOM, RoleSource
from tasksync.tasks import queries
from tasksync.tasks.page_cache import PageCache, page_key
from tasksync.tasks.queries import Sort, TaskFilter, TaskRow

NO_TASK = "No such task."


@dataclass(frozen=True, slots=True)
class Reader:
    """A signed-in caller, and what the service reads with."""

    caller: Principal
    db: Database
    roles: RoleSource
    pages: PageCache


async def _confirmed_role(reader: Reader, *, room_id: UUID) -> str | None:
    """The replica had no row: ask rooms (and keep a yes), in a transaction of its own."""
    async with reader.db.sessionmaker.begin() as session:
        return await reader.roles.role(
            session, room_id=room_id, user_id=reader.caller.id, token=reader.caller.token
        )


async def task(reader: Reader, *, task_id: UUID) -> TaskRow:
    """One task, if the caller is in its room (404 otherwise, as for a missing task)."""
    db, caller = reader.db, reader.caller
    found = await db.first(queries.TASK_AND_ROLE, {"task_id": task_id, "user_id": caller.id})
    if found is None:
        raise NotFound(NO_TASK)
    role = found.pop("role")
    if role is None and not await _confirmed_role(reader, room_id=found["room_id"]):
        raise NotFound(NO_TASK)
    return found


async def _room_version(reader: Reader, *, room_id: UUID) -> int:
    """The room's version, once the caller is known to be in the room (404 otherwise)."""
    db, caller = reader.db, reader.caller
    found = await db.first(queries.ROLE_AND_VERSION, {"room_id": room_id, "user_id": caller.id})
    if found is None:
        if not await _confirmed_role(reader, room_id=room_id):
            raise NotFound(NO_ROOM)
        found = await db.first(queries.ROOM_VERSION, {"room_id": room_id}) or {}
    return found.get("version") or 0


async def room_page(
    reader: Reader, *, room_id: UUID, filters: TaskFilter, sort: Sort, page: PageParams
) -> bytes:
    """A page of a room's tasks, for any member of it, as JSON (`{items, next_cursor}`)."""
    db, caller = reader.db, reader.caller
    version = await _room_version(reader, room_id=room_id)
    key = page_key(
        room_id=room_id,
        version=version,
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


async def room_counts(reader: Reader, *, room_id: UUID, filters: TaskFilter) -> bytes:
    """How many of a room's tasks pass the filters, per status, as JSON; cached like a page
    (a board asks for them each time it opens)."""
    db, caller = reader.db, reader.caller
    version = await _room_version(reader, room_id=room_id)
    key = page_key(
        room_id=room_id, version=version, caller_id=caller.id, filters=filters, sort=None, page=None
    )
    body = reader.pages.get(key) if key else None
    if body is None:
        async with db.reading() as connection:
            counts = await queries.room_counts(
                connection, room_id=room_id, user_id=caller.id, filters=filters
            )
        body = json_bytes(counts)
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
