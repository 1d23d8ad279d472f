"""Handlers for the events of other services that the files service acts on: the cascades
of deleted tasks, rooms and accounts. (The kit's replicas of room roles and task rooms
follow the same events by themselves, before these run.) A removed member's files stay."""

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts.rooms import RoomDeleted
from tasksync.contracts.tasks import TaskDeleted
from tasksync.contracts.users import UserDeleted
from tasksync.files import service

handlers = EventHandlers("files")


@handlers.on(TaskDeleted)
async def delete_task_files(session: AsyncSession, event: Event[TaskDeleted]) -> None:
    await service.forget_task(session, task_id=event.data.task_id)


@handlers.on(RoomDeleted)
async def delete_room_files(session: AsyncSession, event: Event[RoomDeleted]) -> None:
    await service.forget_room(session, room_id=event.data.room_id)


@handlers.on(UserDeleted)
async def forget_deleted_uploader(session: AsyncSession, event: Event[UserDeleted]) -> None:
    await service.forget_uploader(session, user_id=event.data.user_id)
