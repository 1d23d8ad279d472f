"""Every query of the reports service: the read model's writes, the reports' reads and the
export jobs."""

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tasksync.common.db import Database, upsert
from tasksync.reports.figures import COMPLETED, DUE, OPEN, flow_changes, marks
from tasksync.reports.models import (
    NOBODY,
    ExportJob,
    FlowSlot,
    MarkSlot,
    ReportTask,
    TaskCount,
    Transition,
    room_roles,
)

T = ReportTask
# Rows per upsert of the sums: a rebuilt page makes thousands, and a statement takes at most
# 32,767 parameters (asyncpg) or 999 (older SQLite).
UPSERT_ROWS = 200


# The read model.


Move = tuple[datetime, int, str]


async def lock_tasks(session: AsyncSession, task_ids: Sequence[UUID]) -> dict[UUID, ReportTask]:
    """Those of the tasks the model has, locked in id order (two transactions locking some of
    the same tasks take them in the same order)."""
    rows = await session.scalars(
        select(ReportTask)
        .where(ReportTask.id.in_(task_ids))
        .order_by(ReportTask.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {task.id: task for task in rows}


async def transitions_of_tasks(
    session: AsyncSession, task_ids: Sequence[UUID]
) -> dict[UUID, list[Move]]:
    """Each task's moves as (time, version, status), in order."""
    rows = await session.execute(
        select(Transition.task_id, Transition.at, Transition.version, Transition.status)
        .where(Transition.task_id.in_(task_ids))
        .order_by(Transition.task_id, Transition.at, Transition.version)
    )
    found: dict[UUID, list[Move]] = {}
    for row in rows:
        found.setdefault(row.task_id, []).append((row.at, row.version, row.status))
    return found


def add_transition(
    session: AsyncSession, *, task_id: UUID, room_id: UUID, version: int, status: str, at: datetime
) -> None:
    session.add(Transition(task_id=task_id, room_id=room_id, version=version, status=status, at=at))


async def forget_transitions(session: AsyncSession, task_id: UUID) -> None:
    await session.execute(delete(Transition).where(Transition.task_id == task_id))


async def forget_room(session: AsyncSession, room_id: UUID) -> None:
    await session.execute(
        update(ReportTask)
        .where(ReportTask.room_id == room_id)
        .values(deleted=True)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Transition).where(Transition.room_id == room_id))
    await session.execute(delete(FlowSlot).where(FlowSlot.room_id == room_id))
    await session.execute(delete(TaskCount).where(TaskCount.room_id == room_id))
    await session.execute(delete(MarkSlot).where(MarkSlot.room_id == room_id))
    await session.execute(delete(ExportJob).where(ExportJob.room_id == room_id))


async def has_tasks(session: AsyncSession) -> bool:
    return (await session.scalar(select(ReportTask.id).limit(1))) is not None


async def clear_model(session: AsyncSession) -> None:
    """Empties the read model (a rebuild starts from nothing)."""
    await session.execute(delete(Transition))
    await session.execute(delete(FlowSlot))
    await session.execute(delete(TaskCount))
    await session.execute(delete(MarkSlot))
    await session.execute(delete(ReportTask))


async def tidy(db: Database) -> None:
    """After a rebuild: the planner's statistics, and (PostgreSQL) the visibility map that
    lets the summary's counts read their indexes alone, without waiting for autovacuum."""
    tables = "report_tasks, report_flow_slots, report_mark_slots"
    statement = "ANALYZE" if db.is_sqlite else f"VACUUM ANALYZE {tables}"
    async with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        await conn.exec_driver_sql(statement)


async def add_rebuilt(
    session: AsyncSession, tasks: Sequence[dict[str, Any]], moves: Sequence[dict[str, Any]]
) -> None:
    """Writes rebuilt rows. A task whose creation an event brought meanwhile (or that an event
    deleted) is left as the events made it; a row an update made before its creation arrived
    (whose creation came before the rebuild emptied the model) is replaced."""
    if not tasks:
        return
    ids = [task["id"] for task in tasks]
    stubs = and_(ReportTask.id.in_(ids), ReportTask.created_at.is_(None), ~ReportTask.deleted)
    stub_ids = list((await session.scalars(select(ReportTask.id).where(stubs))).all())
    if stub_ids:
        await session.execute(delete(Transition).where(Transition.task_id.in_(stub_ids)))
        await session.execute(delete(ReportTask).where(ReportTask.id.in_(stub_ids)))
    known = set((await session.scalars(select(ReportTask.id).where(ReportTask.id.in_(ids)))).all())
    fresh = [task for task in tasks if task["id"] not in known]
    if fresh:
        await session.execute(insert(ReportTask), fresh)
        fresh_ids = {task["id"] for task in fresh}
        rows = [move for move in moves if move["task_id"] in fresh_ids]
        if rows:
            await session.execute(insert(Transition), rows)
        live = [task for task in fresh if task["created_at"] and not task["deleted"]]
        await _add_flow_of(session, live, rows)
        counts: dict[UUID, dict[CountKey, int]] = {}
        for task in live:
            key = count_key(task["status"], task["priority"], task["assignee_id"])
            room = counts.setdefault(task["room_id"], {})
            room[key] = room.get(key, 0) + 1
        for room_id, changes in counts.items():
            await shift_counts(session, room_id, changes)
        room_marks: dict[UUID, dict[tuple[str, int], int]] = {}
        for task in live:
            room = room_marks.setdefault(task["room_id"], {})
            for key, n in marks(task["status"], task["deadline"], task["completed_at"]).items():
                room[key] = room.get(key, 0) + n
        for room_id, changes in room_marks.items():
            await shift_marks(session, room_id, changes)


async def shift_flow(
    session: AsyncSession, room_id: UUID, changes: dict[tuple[int, str], int]
) -> None:
    """Adds `changes` ((slot, status) -> tasks in or out) to the room's flow sums."""
    # In key order: two transactions shifting the same slots lock them in the same order.
    rows = [
        {"room_id": room_id, "slot": slot, "status": status, "delta": n}
        for (slot, status), n in sorted(changes.items())
    ]
    await _add_to_sums(session, FlowSlot.delta, rows)


async def shift_marks(
    session: AsyncSession, room_id: UUID, changes: dict[tuple[str, int], int]
) -> None:
    """Adds `changes` ((kind, slot) -> tasks in or out) to the room's summary sums."""
    rows = [
        {"room_id": room_id, "kind": kind, "slot": slot, "tasks": n}
        for (kind, slot), n in sorted(changes.items())
    ]
    await _add_to_sums(session, MarkSlot.tasks, rows)


async def _add_to_sums(session: AsyncSession, column: Any, rows: list[dict[str, Any]]) -> None:
    """Upserts `rows` of a table of sums keyed by its primary key, adding to `column`."""
    table = column.class_
    keys = [key.name for key in table.__table__.primary_key]
    for start in range(0, len(rows), UPSERT_ROWS):
        statement = upsert(session, table).values(rows[start : start + UPSERT_ROWS])
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=keys,
                set_={column.key: column + statement.excluded[column.key]},
            )
        )


CountKey = tuple[str, str, UUID]


def count_key(status: str, priority: str, assignee_id: UUID | None) -> CountKey:
    return (status, priority, assignee_id or NOBODY)


async def shift_counts(session: AsyncSession, room_id: UUID, changes: dict[CountKey, int]) -> None:
    """Adds `changes` ((status, priority, assignee) -> tasks in or out) to the room's counts."""
    rows = [
        {"room_id": room_id, "status": s, "priority": p, "assignee_id": a, "tasks": n}
        for (s, p, a), n in sorted(changes.items(), key=lambda item: (item[0][:2], str(item[0][2])))
    ]
    await _add_to_sums(session, TaskCount.tasks, rows)


async def counts(session: AsyncSession, room_id: UUID) -> list[Any]:
    """The room's tasks in the reports by (status, priority, assignee_id or None)."""
    rows = await session.execute(
        select(TaskCount.status, TaskCount.priority, TaskCount.assignee_id, TaskCount.tasks).where(
            TaskCount.room_id == room_id, TaskCount.tasks != 0
        )
    )
    return [
        (
            row.status,
            row.priority,
            None if row.assignee_id == NOBODY else row.assignee_id,
            row.tasks,
        )
        for row in rows
    ]


async def _add_flow_of(
    session: AsyncSession, tasks: Sequence[dict[str, Any]], moves: Sequence[dict[str, Any]]
) -> None:
    """Adds the flow of rebuilt tasks (and their transitions) to their rooms' sums."""
    room_of = {task["id"]: task["room_id"] for task in tasks}
    by_task: dict[UUID, list[dict[str, Any]]] = {}
    for move in moves:
        if move["task_id"] in room_of:
            by_task.setdefault(move["task_id"], []).append(move)
    per_room: dict[UUID, dict[tuple[int, str], int]] = {}
    for task_id, found in by_task.items():
        ordered = sorted(found, key=lambda move: (move["at"], move["version"]))
        total = per_room.setdefault(room_of[task_id], {})
        for key, n in flow_changes((move["status"], move["at"]) for move in ordered).items():
            total[key] = total.get(key, 0) + n
    for room_id, changes in per_room.items():
        await shift_flow(session, room_id, {key: n for key, n in changes.items() if n})


# The reports.


def _live(room_ids: Sequence[UUID]) -> list[ColumnElement[bool]]:
    """Tasks of those rooms that exist: created (their creation arrived) and not deleted."""
    return [T.room_id.in_(room_ids), T.deleted.is_(False), T.created_at.is_not(None)]


async def count_by(session: AsyncSession, room_ids: Sequence[UUID], column: Any) -> dict[Any, int]:
    rows = await session.execute(
        select(column, func.count()).where(*_live(room_ids)).group_by(column)
    )
    return {row[0]: row[1] for row in rows}


async def count_where(
    session: AsyncSession, room_ids: Sequence[UUID], *conditions: ColumnElement[bool]
) -> int:
    return await session.scalar(select(func.count()).where(*_live(room_ids), *conditions)) or 0


def is_open() -> ColumnElement[bool]:
    return T.status.in_(OPEN)


def overdue(now: datetime) -> ColumnElement[bool]:
    return and_(is_open(), T.deadline.is_not(None), T.deadline < now)


def due_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(is_open(), T.deadline >= start, T.deadline < end)


def completed_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(T.completed_at >= start, T.completed_at < end)


async def summary_sums(
    session: AsyncSession, room_id: UUID, *, now: int, last_week: int, week: int, next_week: int
) -> dict[str, int]:
    """The summary's counts by time from the room's sums per quarter hour (slots): open tasks
    due before the slot `now` and in [week, next_week); completions in the two weeks."""
    due, done = MarkSlot.kind == DUE, MarkSlot.kind == COMPLETED

    def total(*conditions: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), MarkSlot.tasks), else_=0)), 0)

    row = (
        await session.execute(
            select(
                total(due, MarkSlot.slot < now).label("overdue"),
                total(due, MarkSlot.slot >= week, MarkSlot.slot < next_week).label("due"),
                total(done, MarkSlot.slot >= week, MarkSlot.slot < next_week).label("done"),
                total(done, MarkSlot.slot >= last_week, MarkSlot.slot < week).label("before"),
            ).where(
                MarkSlot.room_id == room_id,
                or_(
                    and_(due, MarkSlot.slot < max(now, next_week)),
                    and_(done, MarkSlot.slot >= last_week, MarkSlot.slot < next_week),
                ),
            )
        )
    ).one()
    return {
        "overdue": int(row.overdue),
        "due_this_week": int(row.due),
        "completed_this_week": int(row.done),
        "completed_last_week": int(row.before),
    }


async def completions(
    session: AsyncSession, room_ids: Sequence[UUID], start: datetime, end: datetime
) -> list[Any]:
    """Tasks completed (last completion) in [start, end): their creation, start, completion."""
    rows = await session.execute(
        select(T.id, T.number, T.created_at, T.started_at, T.completed_at)
        .where(*_live(room_ids), completed_between(start, end))
        .order_by(T.completed_at, T.id)
    )
    return list(rows)


async def statuses_at(session: AsyncSession, room_id: UUID, moment: datetime) -> dict[str, int]:
    """How many of the room's tasks were in each status at `moment` (each task's last move
    before it)."""
    latest = (
        select(
            Transition.status,
            func.row_number()
            .over(
                partition_by=Transition.task_id,
                order_by=(Transition.at.desc(), Transition.version.desc()),
            )
            .label("rank"),
        )
        .join(T, T.id == Transition.task_id)
        .where(*_live([room_id]), Transition.at < moment)
        .subquery()
    )
    rows = await session.execute(
        select(latest.c.status, func.count()).where(latest.c.rank == 1).group_by(latest.c.status)
    )
    return {row[0]: row[1] for row in rows}


async def flow_before(session: AsyncSession, room_id: UUID, slot: int) -> dict[str, int]:
    """How many of the room's tasks were in each status when `slot` began."""
    rows = await session.execute(
        select(FlowSlot.status, func.sum(FlowSlot.delta))
        .where(FlowSlot.room_id == room_id, FlowSlot.slot < slot)
        .group_by(FlowSlot.status)
    )
    return {row[0]: int(row[1]) for row in rows}


async def flow_by_day(session: AsyncSession, room_id: UUID, bounds: Sequence[int]) -> list[Any]:
    """The room's flow sums per day (day, status, delta): day `i` is the slots from
    `bounds[i]` up to `bounds[i + 1]`. Summed by the database, so a day is one row per
    status, not 96 quarter hours."""
    lengths = {end - start for start, end in itertools.pairwise(bounds)}
    if len(lengths) == 1:  # days of one length (no daylight-saving change): arithmetic
        day = ((FlowSlot.slot - bounds[0]) // lengths.pop()).label("day")
    else:
        day = case(
            *((FlowSlot.slot < end, index) for index, end in enumerate(bounds[1:])),
            else_=len(bounds) - 1,
        ).label("day")
    rows = await session.execute(
        select(day, FlowSlot.status, func.sum(FlowSlot.delta))
        .where(
            FlowSlot.room_id == room_id,
            FlowSlot.slot >= bounds[0],
            FlowSlot.slot < bounds[-1],
        )
        .group_by(day, FlowSlot.status)
    )
    return [(row[0], row[1], int(row[2])) for row in rows]


async def moves_between(
    session: AsyncSession, room_id: UUID, start: datetime, end: datetime
) -> list[Any]:
    """The room's moves in [start, end): (status, the task's status before or None, time)."""
    moves = (
        select(
            Transition.status,
            Transition.at,
            func.lag(Transition.status)
            .over(partition_by=Transition.task_id, order_by=(Transition.at, Transition.version))
            .label("previous"),
        )
        .join(T, T.id == Transition.task_id)
        .where(*_live([room_id]), Transition.at < end)
        .subquery()
    )
    rows = await session.execute(
        select(moves.c.status, moves.c.previous, moves.c.at).where(moves.c.at >= start)
    )
    return list(rows)


async def workload(session: AsyncSession, room_id: UUID, now: datetime) -> list[Any]:
    overdue_count = func.count().filter(overdue(now))
    rows = await session.execute(
        select(T.assignee_id, func.count().label("open"), overdue_count.label("overdue"))
        .where(*_live([room_id]), is_open())
        .group_by(T.assignee_id)
    )
    return list(rows)


async def rooms_of(session: AsyncSession, user_id: UUID) -> list[UUID]:
    """The rooms the user is in, as the replica of room roles knows them."""
    c = room_roles.table.c
    return list((await session.scalars(select(c.room_id).where(c.user_id == user_id))).all())


async def task_rows(session: AsyncSession, room_id: UUID) -> list[Any]:
    rows = await session.execute(
        select(
            T.number,
            T.title,
            T.status,
            T.priority,
            T.assignee_id,
            T.labels,
            T.deadline,
            T.created_at,
            T.started_at,
            T.completed_at,
        )
        .where(*_live([room_id]))
        .order_by(T.number)
    )
    return list(rows)


async def transition_rows(session: AsyncSession, room_id: UUID) -> list[Any]:
    rows = await session.execute(
        select(T.number, T.title, Transition.status, Transition.at)
        .join(T, T.id == Transition.task_id)
        .where(*_live([room_id]))
        .order_by(Transition.at, T.number, Transition.version)
    )
    return list(rows)


# Export jobs.


async def add_job(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(ExportJob).values(values))


async def active_job(session: AsyncSession, *, room_id: UUID, requested_by: UUID) -> UUID | None:
    return await session.scalar(
        select(ExportJob.id).where(
            ExportJob.room_id == room_id,
            ExportJob.requested_by == requested_by,
            ExportJob.state.in_(("queued", "running")),
        )
    )


async def job(session: AsyncSession, job_id: UUID, *, room_id: UUID) -> ExportJob | None:
    return await session.scalar(
        select(ExportJob).where(ExportJob.id == job_id, ExportJob.room_id == room_id)
    )


async def claim_job(session: AsyncSession, *, now: datetime, lease_until: datetime) -> Any:
    """The oldest job to run (queued, or running under a lease that ran out), leased."""
    found = await session.scalar(
        select(ExportJob.id)
        .where(
            or_(
                ExportJob.state == "queued",
                and_(ExportJob.state == "running", ExportJob.lease_until < now),
            )
        )
        .order_by(ExportJob.created_at, ExportJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if found is None:
        return None
    await session.execute(
        update(ExportJob)
        .where(ExportJob.id == found)
        .values(state="running", lease_until=lease_until, attempts=ExportJob.attempts + 1)
    )
    return await session.scalar(
        select(ExportJob).where(ExportJob.id == found).execution_options(populate_existing=True)
    )


async def finish_job(session: AsyncSession, job_id: UUID, values: dict[str, Any]) -> None:
    await session.execute(
        update(ExportJob).where(ExportJob.id == job_id, ExportJob.state == "running").values(values)
    )


async def delete_exports(session: AsyncSession, *, room_id: UUID, requested_by: UUID) -> None:
    await session.execute(
        delete(ExportJob).where(
            ExportJob.room_id == room_id, ExportJob.requested_by == requested_by
        )
    )


async def delete_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(ExportJob).where(ExportJob.expires_at < now))
    return result.rowcount or 0  # type: ignore[attr-defined]
