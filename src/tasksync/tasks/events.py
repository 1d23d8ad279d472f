"""Handlers for the events of other services that the tasks service acts on: the cascades of
deleted rooms, removed members and deleted accounts, and the comment and file counts of each task.
(The kit's replica of room roles follows the same events by itself, before these run.)"""

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts.comments import CommentCreated, CommentDeleted
from tasksync.contracts.files import FileDeleted, FileUploaded
from tasksync.contracts.rooms import MemberRemoved, RoomDeleted
from tasksync.contracts.users import UserDeleted
from tasksync.tasks import service

handlers = EventHandlers("tasks")


@handlers.on(MemberRemoved)
async def unassign_removed_member(session: AsyncSession, event: Event[MemberRemoved]) -> None:
    await service.remove_member(
        session, room_id=event.data.room_id, user_id=event.data.user_id, actor_id=event.actor_id
    )


@handlers.on(RoomDeleted)
async def delete_room_tasks(session: AsyncSession, event: Event[RoomDeleted]) -> None:
    await service.forget_room(session, room_id=event.data.room_id, actor_id=event.actor_id)


@handlers.on(UserDeleted)
async def unassign_deleted_user(session: AsyncSession, event: Event[UserDeleted]) -> None:
    await service.forget_user(session, user_id=event.data.user_id, actor_id=event.actor_id)


@handlers.on(CommentCreated)
async def count_new_comment(session: AsyncSession, event: Event[CommentCreated]) -> None:
    await service.count_comments(session, task_id=event.data.task_id, change=1)


@handlers.on(CommentDeleted)
async def count_deleted_comment(session: AsyncSession, event: Event[CommentDeleted]) -> None:
    await service.count_comments(session, task_id=event.data.task_id, change=-1)


@handlers.on(FileUploaded)
async def count_new_file(session: AsyncSession, event: Event[FileUploaded]) -> None:
    await service.count_files(session, task_id=event.data.task_id, change=1)


@handlers.on(FileDeleted)
async def count_deleted_file(session: AsyncSession, event: Event[FileDeleted]) -> None:
    await service.count_files(session, task_id=event.data.task_id, change=-1)
