"""What the notifications service does with other services' events: it keeps its replica of
tasks (names, creator, assignee, status, deadline), room names and watchers, and tells the
people each event concerns. The kit's replicas (room roles, known users, task rooms) run
their own handlers first."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts import EVENT_TYPES
from tasksync.contracts.comments import CommentCreated, CommentUpdated
from tasksync.contracts.events import Envelope
from tasksync.contracts.rooms import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    RoomCreated,
    RoomDeleted,
    RoomUpdated,
)
from tasksync.contracts.tasks import TaskCreated, TaskDeleted, TaskUpdated
from tasksync.contracts.users import (
    UserDeleted,
    UserEmailRemoved,
    UserEmailVerificationRequested,
    UserEmailVerified,
    UserPasswordResetRequested,
)
from tasksync.notifications import mailing, queries, reminders, texts
from tasksync.notifications.models import TaskFacts
from tasksync.notifications.service import Occurrence, notify
from tasksync.notifications.webhooks import service as webhooks

handlers = EventHandlers("notifications")


async def _actor(session: AsyncSession, event: Event[Any]) -> str:
    if event.actor_id is None:
        return "TaskSync"
    names = await queries.usernames(session, [event.actor_id])
    return names.get(event.actor_id, "someone")


def _occurrence(event: Event[Any], kind: str, text: str, task_id: UUID | None) -> Occurrence:
    return Occurrence(
        event_id=event.envelope.id,
        kind=kind,
        actor_id=event.actor_id,
        room_id=event.room_id or getattr(event.data, "room_id", None),
        task_id=task_id,
        text=text,
    )


@handlers.on(TaskCreated)
async def task_created(session: AsyncSession, event: Event[TaskCreated]) -> None:
    data = event.data
    task = TaskFacts(
        task_id=data.task_id,
        room_id=data.room_id,
        number=data.number,
        title=data.title,
        status=data.status,
        assignee_id=data.assignee_id,
        created_by=data.created_by,
        deadline=data.deadline,
    )
    await session.merge(task)
    await queries.watch(session, task_id=data.task_id, user_id=data.created_by, reason="creator")
    if data.assignee_id is not None:
        await queries.watch(
            session, task_id=data.task_id, user_id=data.assignee_id, reason="assignee"
        )
        text = texts.line(
            "assigned", actor=await _actor(session, event), task=texts.task_label(task)
        )
        await notify(
            session, _occurrence(event, "assigned", text, data.task_id), [data.assignee_id]
        )
    await reminders.arm(session, task)
    await release_parked(session, await queries.unpark(session, task_id=data.task_id))


async def release_parked(session: AsyncSession, parked: list[dict[str, Any]]) -> None:
    """Handles comment events that waited for their task."""
    for raw in parked:
        envelope = Envelope.model_validate(raw)
        model = handlers.model(envelope.type)
        if model is None:
            continue
        await _commented(session, Event(envelope, model.model_validate(envelope.data)), waited=True)


@handlers.on(TaskUpdated)
async def task_updated(session: AsyncSession, event: Event[TaskUpdated]) -> None:
    data = event.data
    task = await queries.task(session, data.task_id, lock=True)
    if task is None:
        return  # created before this service listened, or already deleted
    changes = data.changes
    for name in ("title", "status", "deadline"):
        if name in changes:
            value = changes[name]
            if name == "deadline" and value is not None:
                value = datetime.fromisoformat(str(value))
            setattr(task, name, value)
    assigned: UUID | None = None
    if "assignee_id" in changes:
        new = changes["assignee_id"]
        task.assignee_id = UUID(str(new)) if new else None
        if task.assignee_id is not None:
            assigned = task.assignee_id
            await queries.watch(session, task_id=task.task_id, user_id=assigned, reason="assignee")
    await session.flush()
    actor = await _actor(session, event)
    label = texts.task_label(task)
    if assigned is not None:
        text = texts.line("assigned", actor=actor, task=label)
        await notify(session, _occurrence(event, "assigned", text, task.task_id), [assigned])
    if "status" in changes:
        watching = [w.user_id for w in await queries.watchers(session, task.task_id)]
        text = texts.line(
            "status_changed", actor=actor, task=label, detail=texts.status_label(task.status)
        )
        await notify(
            session,
            _occurrence(event, "status_changed", text, task.task_id),
            [user for user in watching if user != assigned],
        )
    if {"deadline", "status", "assignee_id"} & changes.keys():
        await reminders.arm(session, task)


@handlers.on(TaskDeleted)
async def task_deleted(session: AsyncSession, event: Event[TaskDeleted]) -> None:
    await queries.forget_task(session, event.data.task_id)
    await reminders.disarm(session, event.data.task_id)


async def _commented(session: AsyncSession, event: Event[Any], *, waited: bool = False) -> None:
    """Mentioned people, and (for a new comment) the task's watchers. A comment on a task
    not known yet waits for it (parked), unless it has waited already."""
    data = event.data
    task = await queries.task(session, data.task_id)
    if task is None and not waited:
        envelope = event.envelope.model_dump(mode="json")
        await queries.park(session, task_id=data.task_id, envelope=envelope)
        return
    mentioned = data.mentioned_user_ids
    everyone = isinstance(data, CommentCreated)
    actor = await _actor(session, event)
    label = texts.task_label(task)
    text = texts.line("mentioned", actor=actor, task=label)
    await notify(session, _occurrence(event, "mentioned", text, data.task_id), mentioned)
    if not everyone:
        return
    watching = [w.user_id for w in await queries.watchers(session, data.task_id)]
    text = texts.line("commented", actor=actor, task=label)
    await notify(
        session,
        _occurrence(event, "commented", text, data.task_id),
        [user for user in watching if user not in mentioned],
    )


@handlers.on(CommentCreated)
async def comment_created(session: AsyncSession, event: Event[CommentCreated]) -> None:
    await _commented(session, event)


@handlers.on(CommentUpdated)
async def comment_updated(session: AsyncSession, event: Event[CommentUpdated]) -> None:
    """An edit tells only the people it newly mentions."""
    await _commented(session, event)


@handlers.on(RoomCreated)
async def room_created(session: AsyncSession, event: Event[RoomCreated]) -> None:
    await queries.keep_room_name(session, room_id=event.data.room_id, name=event.data.name)


@handlers.on(RoomUpdated)
async def room_updated(session: AsyncSession, event: Event[RoomUpdated]) -> None:
    await queries.keep_room_name(session, room_id=event.data.room_id, name=event.data.name)


@handlers.on(RoomDeleted)
async def room_deleted(session: AsyncSession, event: Event[RoomDeleted]) -> None:
    await reminders.disarm_room(session, event.data.room_id)
    await webhooks.room_deleted(session, event.envelope)
    await queries.forget_room(session, event.data.room_id)


async def _room_label(session: AsyncSession, room_id: UUID) -> str:
    return await queries.room_name(session, room_id) or "a room"


@handlers.on(MemberAdded)
async def member_added(session: AsyncSession, event: Event[MemberAdded]) -> None:
    data = event.data
    text = texts.line(
        "added_to_room",
        actor=await _actor(session, event),
        room=await _room_label(session, data.room_id),
        detail=data.role,
    )
    await notify(session, _occurrence(event, "added_to_room", text, None), [data.user_id])


@handlers.on(MemberRoleChanged)
async def member_role_changed(session: AsyncSession, event: Event[MemberRoleChanged]) -> None:
    data = event.data
    kind = "ownership_received" if data.role == "owner" else "role_changed"
    text = texts.line(
        kind,
        actor=await _actor(session, event),
        room=await _room_label(session, data.room_id),
        detail=data.role,
    )
    await notify(session, _occurrence(event, kind, text, None), [data.user_id])


@handlers.on(MemberRemoved)
async def member_removed(session: AsyncSession, event: Event[MemberRemoved]) -> None:
    data = event.data
    await queries.unwatch_room(session, room_id=data.room_id, user_id=data.user_id)
    text = texts.line(
        "removed_from_room",
        actor=await _actor(session, event),
        room=await _room_label(session, data.room_id),
    )
    await notify(session, _occurrence(event, "removed_from_room", text, None), [data.user_id])


@handlers.on(UserDeleted)
async def user_deleted(session: AsyncSession, event: Event[UserDeleted]) -> None:
    await queries.forget_user(session, event.data.user_id)


# Account e-mails: the address book follows users' events; the verification message is the
# only one an unverified address receives. An expired token is not mailed (a redelivery
# after a long outage must not send a dead link).


@handlers.on(UserEmailVerificationRequested)
async def verification_requested(
    session: AsyncSession, event: Event[UserEmailVerificationRequested]
) -> None:
    data = event.data
    await queries.set_address(session, user_id=data.user_id, email=data.email, verified=False)
    if data.expires_at > utcnow():
        mailing.queue_account_mail(
            session, purpose="verify", user_id=data.user_id, to=data.email, token=data.token
        )


@handlers.on(UserEmailVerified)
async def email_verified(session: AsyncSession, event: Event[UserEmailVerified]) -> None:
    data = event.data
    await queries.set_address(session, user_id=data.user_id, email=data.email, verified=True)


@handlers.on(UserEmailRemoved)
async def email_removed(session: AsyncSession, event: Event[UserEmailRemoved]) -> None:
    await queries.forget_address(session, event.data.user_id)


@handlers.on(UserPasswordResetRequested)
async def password_reset_requested(
    session: AsyncSession, event: Event[UserPasswordResetRequested]
) -> None:
    data = event.data
    if data.expires_at > utcnow():
        mailing.queue_account_mail(
            session, purpose="reset", user_id=data.user_id, to=data.email, token=data.token
        )


# Webhooks: every event of a room, to that room's subscribed webhooks. `room.deleted` is
# the last one they get (room_deleted above sends it, then retires them).


async def deliver_to_webhooks(session: AsyncSession, event: Event[Any]) -> None:
    await webhooks.fan_out(session, event.envelope)


for model in EVENT_TYPES:
    if model.producer != "notifications" and model is not RoomDeleted:
        handlers.on(model)(deliver_to_webhooks)
