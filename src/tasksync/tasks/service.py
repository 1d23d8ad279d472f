"""Tasks: create, read, change and delete them, and follow the rooms and accounts they
belong to.

Functions take the session first and never commit: the request (or the event) is the unit
of work. Authorization is decided with the kit's `RoomAccess`, built before these run.
"""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from tasksync.common.auth import Principal
from tasksync.common.clock import utcnow
from tasksync.common.concurrency import check_if_match
from tasksync.common.errors import Conflict, InvalidField, NotFound, PreconditionFailed
from tasksync.common.events.outbox import publish
from tasksync.common.ids import uuid7
from tasksync.common.room_roles import RoleSource, RoomAccess, room_access
from tasksync.contracts.tasks import (
    PRIORITY_RANK,
    Priority,
    Status,
    TaskCreated,
    TaskDeleted,
    TaskUpdated,
)
from tasksync.tasks import queries
from tasksync.tasks.models import Task
from tasksync.tasks.schemas import TaskCreate, TaskRead, TaskUpdate


async def _check_assignee(
    session: AsyncSession, roles: RoleSource, *, access: RoomAccess, assignee_id: UUID | None
) -> None:
    if assignee_id is None:
        return
    role = await roles.role(
        session, room_id=access.room_id, user_id=assignee_id, token=access.caller.token
    )
    if role is None:
        raise InvalidField("Invalid fields: assignee_id (not a member of this room).")


def _set_status(task: Task, status: Status) -> None:
    if status == Status.in_progress and task.started_at is None:
        task.started_at = utcnow()
    if status == Status.completed and task.status != Status.completed:
        task.completed_at = utcnow()
    elif status != Status.completed:
        task.completed_at = None
    task.status = status.value


def _set_priority(task: Task, priority: Priority) -> None:
    task.priority = priority.value
    task.priority_rank = PRIORITY_RANK[priority]


async def create_task(
    session: AsyncSession, roles: RoleSource, *, access: RoomAccess, data: TaskCreate
) -> Task:
    access.require("member", "create tasks")
    user_id = access.caller.id
    await _check_assignee(session, roles, access=access, assignee_id=data.assignee_id)
    # Everything but the number is ready before the room's counter row is locked: from the
    # upsert to COMMIT, other creates in the room wait (docs/performance.md, Writes).
    now = utcnow()
    task = Task(
        id=uuid7(),
        room_id=access.room_id,
        title=data.title,
        description=data.description,
        deadline=data.deadline,
        assignee_id=data.assignee_id,
        labels=list(data.labels),
        created_by=user_id,
        created_at=now,
        updated_at=now,
        completed_at=None,
        started_at=None,
        status=Status.pending.value,
        comment_count=0,
        file_count=0,
        version=1,
    )
    _set_status(task, data.status)
    _set_priority(task, data.priority)
    task.number = await queries.next_number(session, access.room_id)
    # By default a new task goes to the bottom of its column.
    task.position = data.position if data.position is not None else float(task.number)
    await queries.insert_task(session, task)
    publish(
        session,
        TaskCreated(
            task_id=task.id,
            room_id=task.room_id,
            number=task.number,
            title=task.title,
            status=task.status,
            priority=task.priority,
            assignee_id=task.assignee_id,
            deadline=task.deadline,
            created_by=user_id,
        ),
        actor_id=user_id,
        room_id=task.room_id,
    )
    return task


async def task_access(
    session: AsyncSession, roles: RoleSource, *, task_id: UUID, caller: Principal
) -> tuple[Task, RoomAccess]:
    """A task and the caller's access to its room: 404 for a task in a room the caller is
    not in, as for a task that does not exist."""
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound("No such task.")
    try:
        access = await room_access(roles, session, room_id=task.room_id, caller=caller)
    except NotFound:
        raise NotFound("No such task.") from None
    return task, access


def _changed_values(task: Task, changes: TaskUpdate) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of `changes` whose value differs from the task's: new values, old values."""
    current = TaskRead.model_validate(task).model_dump()
    changed = {
        name: value
        for name, value in changes.model_dump(exclude_unset=True).items()
        if value != current[name]
    }
    return changed, {name: current[name] for name in changed}


async def _flush_checked(session: AsyncSession, *, if_match: str | None) -> None:
    """Flushes an update; a concurrent write to the same task (the row no longer has the
    version we read) is 412 when the caller gave If-Match, else 409."""
    try:
        await session.flush()
    except StaleDataError as exc:
        if if_match is not None:
            raise PreconditionFailed(
                "The task changed since you read it; read it again and retry."
            ) from exc
        raise Conflict("The task was changed by someone else at the same time; retry.") from exc


async def update_task(
    session: AsyncSession,
    roles: RoleSource,
    *,
    task: Task,
    access: RoomAccess,
    changes: TaskUpdate,
    if_match: str | None = None,
) -> Task:
    access.require("member", "edit tasks")
    check_if_match(if_match, task.version)
    changed, previous = _changed_values(task, changes)
    if "assignee_id" in changed:
        await _check_assignee(session, roles, access=access, assignee_id=changes.assignee_id)
    if not changed:
        return task
    if "status" in changed:
        previous["completed_at"] = task.completed_at
    for name, value in changed.items():
        if name == "status":
            _set_status(task, value)
        elif name == "priority":
            _set_priority(task, value)
        else:
            setattr(task, name, list(value) if name == "labels" else value)
    if "status" in changed:
        changed["completed_at"] = task.completed_at
    task.updated_at = utcnow()
    await _flush_checked(session, if_match=if_match)
    publish(
        session,
        TaskUpdated(
            task_id=task.id,
            room_id=task.room_id,
            number=task.number,
            version=task.version,
            changes=changed,
            previous=previous,
        ),
        actor_id=access.caller.id,
        room_id=task.room_id,
    )
    # Last: it locks the room's counter row until COMMIT (creates in the room wait for it).
    await queries.rooms_changed(session, {task.room_id})
    return task


async def delete_task(
    session: AsyncSession, *, task: Task, access: RoomAccess, if_match: str | None = None
) -> None:
    """Anyone but a viewer may delete their own task; someone else's needs admin or owner."""
    if task.created_by == access.caller.id:
        access.require("member", "delete tasks")
    else:
        access.require("admin", "delete tasks someone else created")
    check_if_match(if_match, task.version)
    await session.delete(task)
    await _flush_checked(session, if_match=if_match)
    await queries.rooms_changed(session, {task.room_id})
    publish(
        session,
        TaskDeleted(task_id=task.id, room_id=task.room_id, number=task.number),
        actor_id=access.caller.id,
        room_id=task.room_id,
    )


# Cascades, run by the event handlers.


async def _unassign(
    session: AsyncSession, *, user_id: UUID, room_id: UUID | None, actor_id: UUID | None
) -> None:
    """Clears the user's assignments (in one room, or everywhere), announcing each."""
    rows = await queries.unassign(session, user_id=user_id, room_id=room_id)
    if not rows:
        return
    await queries.rooms_changed(session, {row.room_id for row in rows})
    for row in rows:
        publish(
            session,
            TaskUpdated(
                task_id=row.id,
                room_id=row.room_id,
                number=row.number,
                version=row.version + 1,
                changes={"assignee_id": None},
                previous={"assignee_id": user_id},
            ),
            actor_id=actor_id,
            room_id=row.room_id,
        )


async def forget_room(session: AsyncSession, *, room_id: UUID, actor_id: UUID | None) -> None:
    """A deleted room takes its tasks with it (task.deleted is announced for each)."""
    rows = await queries.delete_room_tasks(session, room_id)
    for row in rows:
        publish(
            session,
            TaskDeleted(task_id=row.id, room_id=room_id, number=row.number),
            actor_id=actor_id,
            room_id=room_id,
        )


async def remove_member(
    session: AsyncSession, *, room_id: UUID, user_id: UUID, actor_id: UUID | None
) -> None:
    """A member who left loses their assignments in that room (the kit's replica handler
    has taken their access away in the same transaction)."""
    await _unassign(session, user_id=user_id, room_id=room_id, actor_id=actor_id)


async def count_comments(session: AsyncSession, *, task_id: UUID, change: int) -> None:
    """A comment written (+1) or deleted (-1) under a task: board cards show the count."""
    room_id = await queries.count_comments(session, task_id=task_id, change=change)
    if room_id is not None:
        await queries.rooms_changed(session, {room_id})


async def count_files(session: AsyncSession, *, task_id: UUID, change: int) -> None:
    """A file attached (+1) or deleted (-1) under a task: board cards show the count."""
    room_id = await queries.count_files(session, task_id=task_id, change=change)
    if room_id is not None:
        await queries.rooms_changed(session, {room_id})


async def forget_user(session: AsyncSession, *, user_id: UUID, actor_id: UUID | None) -> None:
    """A deleted account is unassigned everywhere."""
    await _unassign(session, user_id=user_id, room_id=None, actor_id=actor_id)
