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

Functions take the session first and never commit: the event is the unit of work. The
changes to the sums wait in the session until `write_sums`, which the event handlers run
once before the commit of each transaction (one event or a batch).
"""

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.contracts.events import Envelope
from tasksync.contracts.tasks import Status
from tasksync.reports import queries
from tasksync.reports.figures import flow_changes, marks
from tasksync.reports.models import ReportTask

CREATED_VERSION = 1
FACTS = ("title", "status", "priority", "assignee_id", "labels", "deadline")
# The task version a rebuild read the task at (rebuild.py): older events add nothing.
REBUILT = "_rebuilt"
# Where a transaction's changes to the sums wait for `write_sums` (session.info).
PENDING = "tasksync.reports.pending_sums"
# Where the transaction's tasks wait, read ahead (session.info).
READ_AHEAD = "tasksync.reports.read_ahead"


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


@dataclass
class ReadAhead:
    """The transaction's tasks, locked, with their moves: read for a whole batch of events
    in two statements before its handlers run (`prefetch`), and for a task no event of the
    batch announced when a handler first asks for it. The handlers keep it current."""

    ids: set[UUID] = dataclasses.field(default_factory=set)
    tasks: dict[UUID, ReportTask] = dataclasses.field(default_factory=dict)
    moves: dict[UUID, list[queries.Move]] = dataclasses.field(default_factory=dict)

    async def read(self, session: AsyncSession, task_ids: list[UUID]) -> None:
        self.tasks |= await queries.lock_tasks(session, task_ids)
        self.moves |= await queries.transitions_of_tasks(session, task_ids)
        self.ids |= set(task_ids)


TASK_EVENTS = frozenset({"task.created", "task.updated", "task.deleted"})


def _ahead(session: AsyncSession) -> ReadAhead:
    ahead: ReadAhead = session.info.setdefault(READ_AHEAD, ReadAhead())
    return ahead


async def prefetch(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """Locks and reads the tasks the events are about, and their moves, in two statements
    (the handlers would take four round trips per event)."""
    ids = sorted({UUID(str(e.data["task_id"])) for e in envelopes if e.type in TASK_EVENTS})
    if ids:
        await _ahead(session).read(session, ids)


async def _task(
    session: AsyncSession, *, task_id: UUID, room_id: UUID, number: int
) -> tuple[ReportTask, list[queries.Move]]:
    """The task's row, locked, and its moves; a stub when this event overtook its creation."""
    ahead = _ahead(session)
    if task_id not in ahead.ids:
        await ahead.read(session, [task_id])
    task = ahead.tasks.get(task_id)
    if task is None:
        task = ReportTask(
            id=task_id, room_id=room_id, number=number, versions={}, labels=[], deleted=False
        )
        session.add(task)
        ahead.tasks[task_id] = task
    return task, ahead.moves.get(task_id, [])


async def task_created(
    session: AsyncSession,
    *,
    task_id: UUID,
    room_id: UUID,
    number: int,
    facts: dict[str, Any],
    at: datetime,
) -> None:
    task, moves = await _task(session, task_id=task_id, room_id=room_id, number=number)
    if task.deleted:
        return
    if REBUILT in (task.versions or {}):
        return
    before = _share(task, moves)
    task.created_at = at
    _set_facts(task, facts, CREATED_VERSION)
    moves = _moved(session, task, moves, version=CREATED_VERSION, status=facts["status"], at=at)
    _derive(session, task, before, moves)


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
    task, moves = await _task(session, task_id=task_id, room_id=room_id, number=number)
    if task.deleted:
        return
    before = _share(task, moves)
    _set_facts(task, changes, version)
    if "status" in changes and version > (task.versions or {}).get(REBUILT, 0):
        status = changes["status"]
        # A completion carries the task's own `completed_at`: the instant the tasks service
        # wrote, which a rebuild reads back (the event's time is a moment later).
        exact = changes.get("completed_at") if status == Status.completed.value else None
        when = _parsed("completed_at", exact) or at
        moves = _moved(session, task, moves, version=version, status=status, at=when)
    _derive(session, task, before, moves)


async def task_deleted(session: AsyncSession, *, task_id: UUID, room_id: UUID, number: int) -> None:
    task, moves = await _task(session, task_id=task_id, room_id=room_id, number=number)
    before = _share(task, moves)
    task.deleted = True
    await queries.forget_transitions(session, task_id)
    _ahead(session).moves[task_id] = []
    _shift(session, task, before, NOTHING)


def _moved(
    session: AsyncSession,
    task: ReportTask,
    moves: list[queries.Move],
    *,
    version: int,
    status: str,
    at: datetime,
) -> list[queries.Move]:
    """The task's moves with this one (a transition is written once per task version)."""
    if any(known == version for _, known, _ in moves):
        return moves
    queries.add_transition(
        session, task_id=task.id, room_id=task.room_id, version=version, status=status, at=at
    )
    moves = sorted([*moves, (at, version, status)])
    _ahead(session).moves[task.id] = moves
    return moves


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


def _share(task: ReportTask, moves: list[queries.Move]) -> Share:
    if not _live(task):
        return NOTHING
    return Share(
        flow_changes((status, at) for at, _, status in moves),
        queries.count_key(task.status, task.priority, task.assignee_id),
        marks(task.status, task.deadline, task.completed_at),
    )


@dataclass
class PendingSums:
    """What the transaction's events changed in each room's sums, written once before the
    commit (`write_sums`): a batch of events costs one upsert per table, not per event."""

    flow: dict[UUID, dict[tuple[int, str], int]] = dataclasses.field(default_factory=dict)
    marks: dict[UUID, dict[tuple[str, int], int]] = dataclasses.field(default_factory=dict)
    counts: dict[UUID, dict[queries.CountKey, int]] = dataclasses.field(default_factory=dict)

    def add(self, room_id: UUID, before: Share, after: Share) -> None:
        _add_difference(self.flow.setdefault(room_id, {}), before.flow, after.flow)
        _add_difference(self.marks.setdefault(room_id, {}), before.marks, after.marks)
        if before.key != after.key:
            counts = self.counts.setdefault(room_id, {})
            for key, n in ((before.key, -1), (after.key, 1)):
                if key is not None:
                    counts[key] = counts.get(key, 0) + n

    def forget(self, room_id: UUID) -> None:
        for sums in (self.flow, self.marks, self.counts):
            sums.pop(room_id, None)


def _add_difference(total: dict[Any, int], before: dict[Any, int], after: dict[Any, int]) -> None:
    for key in before.keys() | after.keys():
        total[key] = total.get(key, 0) + after.get(key, 0) - before.get(key, 0)


def _pending(session: AsyncSession) -> PendingSums:
    pending: PendingSums = session.info.setdefault(PENDING, PendingSums())
    return pending


async def write_sums(session: AsyncSession) -> None:
    """Adds what the transaction's events changed to the sums tables, room by room in id order
    (two transactions lock the same rows in the same order)."""
    pending = session.info.pop(PENDING, None)
    if pending is None:
        return
    for room_id in sorted(pending.flow):
        await queries.shift_flow(session, room_id, _nonzero(pending.flow[room_id]))
    for room_id in sorted(pending.marks):
        await queries.shift_marks(session, room_id, _nonzero(pending.marks[room_id]))
    for room_id in sorted(pending.counts):
        await queries.shift_counts(session, room_id, _nonzero(pending.counts[room_id]))


def _nonzero(sums: dict[Any, int]) -> dict[Any, int]:
    return {key: n for key, n in sums.items() if n}


def _shift(session: AsyncSession, task: ReportTask, before: Share, after: Share) -> None:
    _pending(session).add(task.room_id, before, after)


def _derive(
    session: AsyncSession, task: ReportTask, before: Share, moves: list[queries.Move]
) -> None:
    started = [at for at, _, status in moves if status == Status.in_progress.value]
    completed = [at for at, _, status in moves if status == Status.completed.value]
    task.started_at = min(started) if started else None
    done = task.status == Status.completed.value and completed
    task.completed_at = max(completed) if done else None
    _shift(session, task, before, _share(task, moves))


async def forget_room(session: AsyncSession, *, room_id: UUID) -> None:
    """A deleted room: its tasks leave the reports (their `task.deleted` events follow) and
    its exports go."""
    _pending(session).forget(room_id)
    await queries.forget_room(session, room_id)
    ahead = _ahead(session)
    for task in ahead.tasks.values():
        if task.room_id == room_id:  # what forget_room wrote, in the rows already read
            task.deleted = True
            ahead.moves[task.id] = []


async def forget_member_exports(session: AsyncSession, *, room_id: UUID, user_id: UUID) -> None:
    """A member who left loses the exports they asked for in that room."""
    await queries.delete_exports(session, room_id=room_id, requested_by=user_id)
