"""Keeping the read model from task events, whatever their order and however often they come.

- a fact (status, assignee...) is written only by a change of a newer task version than the
  one that last wrote it: an older `task.updated` arriving late changes nothing;
- a status change is a transition (task, version) -> (status, time): a set, so its order of
  arrival does not matter, and a redelivery finds it already there;
- `started_at` (first move to in progress) and `completed_at` (the last completion, while the
  task is completed) are derived from the transitions after each change;
- the cumulative flow's sums per quarter hour (`report_flow_slots`) change by the difference
  between the task's share of the flow before and after the change: a move that arrives late
  between two others takes its place in the sums as if it had come in order; the summary's
  sums of deadlines and completions (`report_mark_slots`) and counts (`report_counts`) the
  same way.

Functions take the session first and never commit: the event is the unit of work.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.contracts.tasks import Status
from tasksync.reports import queries
from tasksync.reports.figures import flow_changes, marks
from tasksync.reports.models import ReportTask

CREATED_VERSION = 1
FACTS = ("title", "status", "priority", "assignee_id", "labels", "deadline")
# The task version a rebuild read the task at (rebuild.py): older events add nothing.
REBUILT = "_rebuilt"


def _parsed(field: str, value: Any) -> Any:
    """A value of `changes` as JSON carried it, back to its type."""
    if value is None:
        return None
    if field in ("deadline", "completed_at", "started_at") and isinstance(value, str):
        return datetime.fromisoformat(value)
    if field == "assignee_id" and isinstance(value, str):
        return UUID(value)
    if field == "labels":
        return list(value)
    return value


def _set_facts(task: ReportTask, facts: dict[str, Any], version: int) -> None:
    versions = dict(task.versions or {})
    for field, value in facts.items():
        if field in FACTS and version > versions.get(field, 0):
            setattr(task, field, _parsed(field, value))
            versions[field] = version
    task.versions = versions


async def _task(session: AsyncSession, *, task_id: UUID, room_id: UUID, number: int) -> ReportTask:
    """The task's row, locked; a stub when this event overtook its creation."""
    task = await queries.lock_task(session, task_id)
    if task is None:
        task = ReportTask(
            id=task_id, room_id=room_id, number=number, versions={}, labels=[], deleted=False
        )
        session.add(task)
    return task


async def task_created(
    session: AsyncSession,
    *,
    task_id: UUID,
    room_id: UUID,
    number: int,
    facts: dict[str, Any],
    at: datetime,
) -> None:
    task = await _task(session, task_id=task_id, room_id=room_id, number=number)
    if task.deleted:
        return
    if REBUILT in (task.versions or {}):
        return
    before = await _share_of(session, task)
    task.created_at = at
    _set_facts(task, facts, CREATED_VERSION)
    await queries.add_transition(
        session,
        task_id=task_id,
        room_id=room_id,
        version=CREATED_VERSION,
        status=facts["status"],
        at=at,
    )
    await _derive(session, task, before)


async def task_updated(
    session: AsyncSession,
    *,
    task_id: UUID,
    room_id: UUID,
    number: int,
    version: int,
    changes: dict[str, Any],
    at: datetime,
) -> None:
    task = await _task(session, task_id=task_id, room_id=room_id, number=number)
    if task.deleted:
        return
    before = await _share_of(session, task)
    _set_facts(task, changes, version)
    if "status" in changes and version > (task.versions or {}).get(REBUILT, 0):
        status = changes["status"]
        # A completion carries the task's own `completed_at`: the instant the tasks service
        # wrote, which a rebuild reads back (the event's time is a moment later).
        exact = changes.get("completed_at") if status == Status.completed.value else None
        when = _parsed("completed_at", exact) or at
        await queries.add_transition(
            session, task_id=task_id, room_id=room_id, version=version, status=status, at=when
        )
    await _derive(session, task, before)


async def task_deleted(session: AsyncSession, *, task_id: UUID, room_id: UUID, number: int) -> None:
    task = await _task(session, task_id=task_id, room_id=room_id, number=number)
    before = await _share_of(session, task)
    task.deleted = True
    await queries.forget_transitions(session, task_id)
    await _shift(session, task, before, NOTHING)


@dataclass(frozen=True)
class Share:
    """A task's part in its room's sums: the flow per quarter hour, its count key (status,
    priority, assignee) and its deadline or completion by quarter hour (figures.marks);
    nothing while it is not in the reports."""

    flow: dict[tuple[int, str], int]
    key: tuple[str, str, UUID] | None
    marks: dict[tuple[str, int], int]


NOTHING = Share({}, None, {})


def _live(task: ReportTask) -> bool:
    return task.created_at is not None and not task.deleted


def _share(task: ReportTask, moves: list[tuple[str, datetime]]) -> Share:
    if not _live(task):
        return NOTHING
    return Share(
        flow_changes(moves),
        queries.count_key(task.status, task.priority, task.assignee_id),
        marks(task.status, task.deadline, task.completed_at),
    )


async def _share_of(session: AsyncSession, task: ReportTask) -> Share:
    if not _live(task):
        return NOTHING
    return _share(task, await queries.transitions_of(session, task.id))


async def _shift(session: AsyncSession, task: ReportTask, before: Share, after: Share) -> None:
    flow = before.flow.keys() | after.flow.keys()
    shift = {key: after.flow.get(key, 0) - before.flow.get(key, 0) for key in flow}
    await queries.shift_flow(session, task.room_id, {key: n for key, n in shift.items() if n})
    marked = before.marks.keys() | after.marks.keys()
    moved = {key: after.marks.get(key, 0) - before.marks.get(key, 0) for key in marked}
    await queries.shift_marks(session, task.room_id, {key: n for key, n in moved.items() if n})
    if before.key != after.key:
        counts = {key: n for key, n in ((before.key, -1), (after.key, 1)) if key is not None}
        await queries.shift_counts(session, task.room_id, counts)


async def _derive(session: AsyncSession, task: ReportTask, before: Share) -> None:
    await session.flush()
    moves = await queries.transitions_of(session, task.id)
    started = [at for status, at in moves if status == Status.in_progress.value]
    completed = [at for status, at in moves if status == Status.completed.value]
    task.started_at = min(started) if started else None
    done = task.status == Status.completed.value and completed
    task.completed_at = max(completed) if done else None
    await _shift(session, task, before, _share(task, moves))


async def forget_room(session: AsyncSession, *, room_id: UUID) -> None:
    """A deleted room: its tasks leave the reports (their `task.deleted` events follow) and
    its exports go."""
    await queries.forget_room(session, room_id)


async def forget_member_exports(session: AsyncSession, *, room_id: UUID, user_id: UUID) -> None:
    """A member who left loses the exports they asked for in that room."""
    await queries.delete_exports(session, room_id=room_id, requested_by=user_id)
