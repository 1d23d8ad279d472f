"""Deadline reminders: one before a task's deadline ("soon") and one when it passes, each
once per task and deadline.

Reminders are rows, armed by the task events in the consumer's transaction: moving the
deadline arms new rows (a row already sent for a deadline stays sent), completing the task
or removing its deadline takes the unsent ones away. The scheduler sends the rows that are
due, whenever it runs: after a downtime it catches up on everything due meanwhile. A row is
marked sent in the transaction that writes its notifications, taken with `SKIP LOCKED` on
PostgreSQL, and its notifications have a fixed event id (derived from the row), so two
replicas can never remind twice.
"""

from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.db import upsert
from tasksync.common.kit import runtime_of
from tasksync.notifications import texts
from tasksync.notifications.models import Reminder, TaskFacts
from tasksync.notifications.service import Occurrence, notify
from tasksync.notifications.settings import NotificationsSettings

BATCH = 100


def _hours_before(session: AsyncSession) -> float:
    settings: NotificationsSettings = runtime_of(session).settings
    return settings.reminder_hours_before


async def arm(session: AsyncSession, task: TaskFacts) -> None:
    """Sets the task's reminders from its current deadline and status."""
    await session.execute(
        delete(Reminder).where(Reminder.task_id == task.task_id, Reminder.sent_at.is_(None))
    )
    if task.deadline is None or task.status == "completed":
        return
    soon = task.deadline - timedelta(hours=_hours_before(session))
    rows = [{"kind": "passed", "due_at": task.deadline}]
    if utcnow() < task.deadline:
        rows.append({"kind": "soon", "due_at": soon})
    for row in rows:
        statement = upsert(session, Reminder.__table__).values(
            task_id=task.task_id, deadline=task.deadline, **row
        )
        await session.execute(statement.on_conflict_do_nothing())


async def disarm(session: AsyncSession, task_id: UUID) -> None:
    await session.execute(delete(Reminder).where(Reminder.task_id == task_id))


async def disarm_room(session: AsyncSession, room_id: UUID) -> None:
    tasks = select(TaskFacts.task_id).where(TaskFacts.room_id == room_id)
    await session.execute(delete(Reminder).where(Reminder.task_id.in_(tasks)))


def reminder_id(reminder: Reminder) -> UUID:
    """The same id for the same reminder, whichever replica sends it."""
    key = f"tasksync:reminder:{reminder.task_id}:{reminder.kind}:{reminder.deadline.isoformat()}"
    return uuid5(NAMESPACE_URL, key)


def _when(deadline: datetime) -> str:
    return deadline.strftime("%Y-%m-%d %H:%M UTC")


async def send_due(session: AsyncSession) -> int:
    """Sends the reminders that are due now (a batch); returns how many."""
    query = (
        select(Reminder)
        .where(Reminder.sent_at.is_(None), Reminder.due_at <= utcnow())
        .order_by(Reminder.due_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = list((await session.scalars(query)).all())
    for reminder in due:
        # Marked only if still unsent and still armed (a concurrent deadline change may have
        # taken it away): whoever marks it is the one who sends it.
        taken = await session.execute(
            update(Reminder)
            .where(
                Reminder.task_id == reminder.task_id,
                Reminder.kind == reminder.kind,
                Reminder.deadline == reminder.deadline,
                Reminder.sent_at.is_(None),
            )
            .values(sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not taken.rowcount:
            continue
        task = await session.get(TaskFacts, reminder.task_id)
        if task is None or task.status == "completed" or task.deadline != reminder.deadline:
            continue
        kind = "deadline_soon" if reminder.kind == "soon" else "deadline_passed"
        text = texts.line(
            kind, actor="", task=texts.task_label(task), detail=f"on {_when(task.deadline)}"
        )
        what = Occurrence(
            event_id=reminder_id(reminder),
            kind=kind,
            actor_id=None,
            room_id=task.room_id,
            task_id=task.task_id,
            text=text,
        )
        await notify(session, what, [task.assignee_id or task.created_by])
    return len(due)
