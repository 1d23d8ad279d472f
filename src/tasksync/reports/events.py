"""What the reports service does with other services' events: task events feed the read
model (feed.py); a deleted room and a departed member take their exports with them. The
kit's replica of room roles follows `member.*`, `room.deleted` and `user.deleted` first."""

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts.rooms import MemberRemoved, RoomDeleted
from tasksync.contracts.tasks import TaskCreated, TaskDeleted, TaskUpdated
from tasksync.reports import feed

handlers = EventHandlers("reports")


@handlers.on(TaskCreated)
async def task_created(session: AsyncSession, event: Event[TaskCreated]) -> None:
    data = event.data
    await feed.task_created(
        session,
        task_id=data.task_id,
        room_id=data.room_id,
        number=data.number,
        facts=data.model_dump(include=set(feed.FACTS)),
        at=event.envelope.occurred_at,
    )


@handlers.on(TaskUpdated)
async def task_updated(session: AsyncSession, event: Event[TaskUpdated]) -> None:
    data = event.data
    await feed.task_updated(
        session,
        task_id=data.task_id,
        room_id=data.room_id,
        number=data.number,
        version=data.version,
        changes=data.changes,
        at=event.envelope.occurred_at,
    )


@handlers.on(TaskDeleted)
async def task_deleted(session: AsyncSession, event: Event[TaskDeleted]) -> None:
    data = event.data
    await feed.task_deleted(session, task_id=data.task_id, room_id=data.room_id, number=data.number)


handlers.before_handling(feed.prefetch)
handlers.before_commit(feed.write_sums)


@handlers.on(RoomDeleted)
async def room_deleted(session: AsyncSession, event: Event[RoomDeleted]) -> None:
    await feed.forget_room(session, room_id=event.data.room_id)


@handlers.on(MemberRemoved)
async def member_removed(session: AsyncSession, event: Event[MemberRemoved]) -> None:
    await feed.forget_member_exports(
        session, room_id=event.data.room_id, user_id=event.data.user_id
    )
