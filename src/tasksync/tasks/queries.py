"""Task lists: filters, sorts and keyset pagination, written once for every list.

A page is ordered by the sort key then the task id (the tie-breaker), and the cursor holds
both, so walking pages stays correct while tasks are added or removed between them. Keys that
may be NULL (deadline) are sorted as `(deadline IS NULL, deadline, id)`: tasks without a
deadline come last in ascending order and first in descending order, on every database.
Orders and cursors are written as row comparisons, `(number, id) > (12, '...')`, which
PostgreSQL answers from the matching index (see the tasks model) instead of sorting the room.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tasksync.common.clock import utcnow
from tasksync.common.db import escape_like, upsert
from tasksync.common.errors import BadRequest
from tasksync.common.pagination import (
    NOT_OURS,
    PageParams,
    Slice,
    decode_cursor,
    keyset_slice,
    same,
)
from tasksync.contracts.tasks import PRIORITY_RANK, Priority, Status
from tasksync.tasks.models import RoomCounter, Task, room_roles
from tasksync.tasks.schemas import TaskRead

# A list answers rows of exactly the fields of `TaskRead`, read without the ORM.
TASK_COLUMNS = tuple(Task.__table__.c[name] for name in TaskRead.model_fields)
TaskRow = dict[str, Any]


# The hot reads' statements, built once: composing one per request cost more than running it.
_ROLES = room_roles.table

TASK_AND_ROLE = (
    select(*TASK_COLUMNS, _ROLES.c.role)
    .select_from(
        Task.__table__.outerjoin(
            _ROLES,
            and_(_ROLES.c.room_id == Task.room_id, _ROLES.c.user_id == bindparam("user_id")),
        )
    )
    .where(Task.id == bindparam("task_id"))
)
ROLE_AND_VERSION = (
    select(_ROLES.c.role, RoomCounter.version)
    .select_from(_ROLES.outerjoin(RoomCounter.__table__, RoomCounter.room_id == _ROLES.c.room_id))
    .where(_ROLES.c.room_id == bindparam("room_id"), _ROLES.c.user_id == bindparam("user_id"))
)
ROOM_VERSION = select(RoomCounter.version).where(RoomCounter.room_id == bindparam("room_id"))


NAMED_ASSIGNEES = ("me", "none", "any")
_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
ASSIGNEE_PATTERN = rf"^(me|none|any|{_UUID})$"


@dataclass(frozen=True)
class TaskFilter:
    """What a list keeps. `assignee` is "me", "none", a user id, or "any" / None for anyone."""

    statuses: Sequence[Status] = ()
    assignee: str | UUID | None = None
    label: str | None = None
    priorities: Sequence[Priority] = ()
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    q: str | None = None
    number: int | None = None

    def conditions(self, user_id: UUID) -> list[ColumnElement[bool]]:
        now = utcnow()
        where: list[ColumnElement[bool]] = []
        if self.number is not None:
            where.append(Task.number == self.number)
        if self.statuses:
            where.append(Task.status.in_([s.value for s in self.statuses]))
        if self.assignee == "me":
            where.append(Task.assignee_id == user_id)
        elif self.assignee == "none":
            where.append(Task.assignee_id.is_(None))
        elif isinstance(self.assignee, UUID):
            where.append(Task.assignee_id == self.assignee)
        if self.label:
            # Labels cannot hold quotes or commas, so `"label"` in the stored JSON list
            # matches exactly one element; compared ignoring case.
            pattern = f"%{escape_like(json.dumps(self.label.lower()))}%"
            where.append(func.lower(cast(Task.labels, Text)).like(pattern, escape="\\"))
        if self.priorities:
            where.append(Task.priority.in_([p.value for p in self.priorities]))
        if self.due_before is not None:
            where.append(Task.deadline < self.due_before)
        if self.due_after is not None:
            where.append(Task.deadline >= self.due_after)
        if self.overdue is not None:
            late = and_(Task.deadline < now, Task.status != Status.completed.value)
            where.append(late if self.overdue else not_(late))
        if self.q:
            pattern = f"%{escape_like(self.q.lower())}%"
            where.append(
                or_(
                    func.lower(Task.title).like(pattern, escape="\\"),
                    func.lower(Task.description).like(pattern, escape="\\"),
                )
            )
        return where


@dataclass(frozen=True)
class SortKey:
    expression: ColumnElement[Any]
    value: Callable[[Mapping[str, Any]], Any]
    parse: Callable[[Any], Any] = lambda raw: raw
    nullable: bool = False


def _as_datetime(raw: Any) -> datetime | None:
    return None if raw is None else datetime.fromisoformat(raw)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


_DEADLINE_MISSING = Task.deadline.is_(None)

SORT_KEYS: dict[str, list[SortKey]] = {
    "position": [SortKey(Task.position, lambda t: t["position"], float)],
    "number": [SortKey(Task.number, lambda t: t["number"], int)],
    "priority": [SortKey(Task.priority_rank, lambda t: PRIORITY_RANK[t["priority"]], int)],
    "created_at": [SortKey(Task.created_at, lambda t: _iso(t["created_at"]), _as_datetime)],
    "updated_at": [SortKey(Task.updated_at, lambda t: _iso(t["updated_at"]), _as_datetime)],
    "deadline": [
        SortKey(_DEADLINE_MISSING, lambda t: t["deadline"] is None, bool),
        SortKey(Task.deadline, lambda t: _iso(t["deadline"]), _as_datetime, nullable=True),
    ],
}
_TIE_BREAKER = SortKey(Task.id, lambda t: str(t["id"]), UUID)
SORT_PATTERN = rf"^-?({'|'.join(SORT_KEYS)})$"


def _or_none(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda raw: None if raw is None else parse(raw)


@dataclass(frozen=True)
class Sort:
    """`field` ascending, or descending when written `-field`."""

    field: str
    descending: bool = False

    @property
    def keys(self) -> list[SortKey]:
        return [*SORT_KEYS[self.field], _TIE_BREAKER]

    @classmethod
    def parse(cls, text: str) -> "Sort":
        descending = text.startswith("-")
        return cls(text.removeprefix("-"), descending)

    @property
    def token(self) -> str:
        return f"-{self.field}" if self.descending else self.field

    def order_by(self) -> list[Any]:
        return [k.expression.desc() if self.descending else k.expression.asc() for k in self.keys]

    def cursor_values(self, task: Mapping[str, Any]) -> list[Any]:
        return [self.token, *(k.value(task) for k in self.keys)]

    def after(self, cursor: str) -> ColumnElement[bool]:
        """Rows strictly after the cursor's row, in this order."""
        token, *values = decode_cursor(cursor, same, *(_or_none(k.parse) for k in self.keys))
        if token != self.token:
            raise BadRequest("The cursor belongs to another sort order; start from the first page.")
        if any(v is None and not k.nullable for k, v in zip(self.keys, values, strict=True)):
            raise BadRequest(NOT_OURS)
        # Only the nullable deadline can be None; the flag before it already put the row in
        # the group without deadlines, where only the id decides.
        pairs = [(k.expression, v) for k, v in zip(self.keys, values, strict=True) if v is not None]
        row = tuple_(*(expression for expression, _ in pairs))
        cursor_row = tuple_(*(bindparam(None, v, type_=e.type) for e, v in pairs))
        return row < cursor_row if self.descending else row > cursor_row


async def _page(
    connection: AsyncConnection, query: Select[Any], *, sort: Sort, page: PageParams
) -> Slice[TaskRow]:
    if page.cursor:
        query = query.where(sort.after(page.cursor))
    query = query.order_by(*sort.order_by()).limit(page.limit + 1)
    rows = [dict(row) for row in (await connection.execute(query)).mappings()]
    return keyset_slice(rows, page.limit, sort.cursor_values)


async def room_tasks(
    connection: AsyncConnection,
    *,
    room_id: UUID,
    user_id: UUID,
    filters: TaskFilter,
    sort: Sort,
    page: PageParams,
) -> Slice[TaskRow]:
    """The tasks of one room (the caller's access is checked before)."""
    query = select(*TASK_COLUMNS).where(Task.room_id == room_id, *filters.conditions(user_id))
    return await _page(connection, query, sort=sort, page=page)


async def room_counts(
    connection: AsyncConnection, *, room_id: UUID, user_id: UUID, filters: TaskFilter
) -> dict[str, int]:
    """How many of a room's tasks pass the filters, per status (every status, 0 included)."""
    query = (
        select(Task.status, func.count())
        .where(Task.room_id == room_id, *filters.conditions(user_id))
        .group_by(Task.status)
    )
    counted = dict((await connection.execute(query)).all())
    return {status.value: counted.get(status.value, 0) for status in Status}


async def member_tasks(
    connection: AsyncConnection,
    *,
    user_id: UUID,
    filters: TaskFilter,
    sort: Sort,
    page: PageParams,
) -> Slice[TaskRow]:
    """Tasks across every room the user is a member of (as the replica knows it)."""
    roles = room_roles.table
    rooms = select(roles.c.room_id).where(roles.c.user_id == user_id)
    query = select(*TASK_COLUMNS).where(Task.room_id.in_(rooms), *filters.conditions(user_id))
    return await _page(connection, query, sort=sort, page=page)


# Writes


async def next_number(session: AsyncSession, room_id: UUID) -> int:
    """The room's next task number, and a new room version. The counter row stays locked
    until the creating transaction ends, so concurrent creates get 1, 2, 3... with no gap
    and no repeat."""
    statement = (
        upsert(session, RoomCounter)
        .values(room_id=room_id, next=1, version=1)
        .on_conflict_do_update(
            index_elements=[RoomCounter.room_id],
            set_={"next": RoomCounter.next + 1, "version": RoomCounter.version + 1},
        )
        .returning(RoomCounter.next)
    )
    return (await session.execute(statement)).scalar_one()


_TASK_TABLE = Task.__table__


async def insert_task(session: AsyncSession, task: Task) -> None:
    """Inserts a new task, every column set on `task`, in one statement: no unit of work
    runs while the room's counter row is locked. `task` stays out of the session."""
    await session.execute(
        insert(_TASK_TABLE).values({c.key: getattr(task, c.key) for c in _TASK_TABLE.columns})
    )


async def rooms_changed(session: AsyncSession, room_ids: set[UUID]) -> None:
    """Bumps the rooms' versions, in the writing transaction: no list page cached before
    this write is served after it (creates bump it with the number, in `next_number`)."""
    await session.execute(
        update(RoomCounter)
        .where(RoomCounter.room_id.in_(sorted(room_ids)))
        .values(version=RoomCounter.version + 1)
    )


async def count_comments(session: AsyncSession, *, task_id: UUID, change: int) -> UUID | None:
    """Adds `change` to a task's comment count (never below zero); the task's room, or None
    when the task is gone. The task's version (its ETag) does not change: nobody edited it."""
    counted = Task.comment_count + change
    return (
        await session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(comment_count=case((counted < 0, 0), else_=counted))
            .returning(Task.room_id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()


async def count_files(session: AsyncSession, *, task_id: UUID, change: int) -> UUID | None:
    """As `count_comments`, for the files attached to a task."""
    counted = Task.file_count + change
    return (
        await session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(file_count=case((counted < 0, 0), else_=counted))
            .returning(Task.room_id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()


async def unassign(
    session: AsyncSession, *, user_id: UUID, room_id: UUID | None
) -> Sequence[Row[Any]]:
    """Clears the user's assignments (in one room, or everywhere); the changed tasks' id,
    room, number and version before the change."""
    query = select(Task.id, Task.room_id, Task.number, Task.version).where(
        Task.assignee_id == user_id
    )
    if room_id is not None:
        query = query.where(Task.room_id == room_id)
    rows = (await session.execute(query)).all()
    if rows:
        await session.execute(
            update(Task)
            .where(Task.id.in_([row.id for row in rows]))
            .values(assignee_id=None, version=Task.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return rows


async def delete_room_tasks(session: AsyncSession, room_id: UUID) -> Sequence[Row[Any]]:
    """Deletes a room's tasks and counter; the deleted tasks' id and number."""
    rows = (
        await session.execute(select(Task.id, Task.number).where(Task.room_id == room_id))
    ).all()
    await session.execute(
        delete(Task).where(Task.room_id == room_id).execution_options(synchronize_session=False)
    )
    await session.execute(delete(RoomCounter).where(RoomCounter.room_id == room_id))
    return rows


SNAPSHOT_COLUMNS = (
    Task.id,
    Task.room_id,
    Task.number,
    Task.title,
    Task.status,
    Task.priority,
    Task.assignee_id,
    Task.labels,
    Task.deadline,
    Task.created_at,
    Task.started_at,
    Task.completed_at,
    Task.updated_at,
    Task.version,
)


async def snapshot(session: AsyncSession, *, after: UUID | None, limit: int) -> list[Row[Any]]:
    """Every task's facts, by id, `limit` at a time after `after` (a read model's rebuild)."""
    query = select(*SNAPSHOT_COLUMNS).order_by(Task.id).limit(limit)
    if after is not None:
        query = query.where(Task.id > after)
    return list((await session.execute(query)).all())
