"""Every query of the reports service: the read model's writes, the reports' reads and the
export jobs."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tasksync.reports.figures import OPEN
from tasksync.reports.models import ExportJob, ReportTask, Transition, room_roles

T = ReportTask


# The read model.


async def lock_task(session: AsyncSession, task_id: UUID) -> ReportTask | None:
    return await session.scalar(
        select(ReportTask)
        .where(ReportTask.id == task_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def add_transition(
    session: AsyncSession, *, task_id: UUID, room_id: UUID, version: int, status: str, at: datetime
) -> None:
    exists = await session.scalar(
        select(Transition.task_id).where(
            Transition.task_id == task_id, Transition.version == version
        )
    )
    if exists is None:
        session.add(
            Transition(task_id=task_id, room_id=room_id, version=version, status=status, at=at)
        )


async def transitions_of(session: AsyncSession, task_id: UUID) -> list[tuple[str, datetime]]:
    rows = await session.execute(
        select(Transition.status, Transition.at)
        .where(Transition.task_id == task_id)
        .order_by(Transition.at, Transition.version)
    )
    return [(row.status, row.at) for row in rows]


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
    await session.execute(delete(ExportJob).where(ExportJob.room_id == room_id))


async def has_tasks(session: AsyncSession) -> bool:
    return (await session.scalar(select(ReportTask.id).limit(1))) is not None


async def clear_model(session: AsyncSession) -> None:
    """Empties the read model (a rebuild starts from nothing)."""
    await session.execute(delete(Transition))
    await session.execute(delete(ReportTask))


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
