"""Handlers for the events of other services that the tasks service acts on: the membership
replica, and the cascades of deleted rooms, removed members and deleted accounts."""

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.contracts.rooms import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    RoomDeleted,
)
from tasksync.common.contracts.users import UserDeleted
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.tasks import service
from tasksync.tasks.access import store_role

handlers = EventHandlers("tasks")


@handlers.on(MemberAdded)
async def add_member(session: AsyncSession, event: Event[MemberAdded]) -> None:
    await store_role(
        session, room_id=event.data.room_id, user_id=event.data.user_id, role=event.data.role
    )


@handlers.on(MemberRoleChanged)
async def change_role(session: AsyncSession, event: Event[MemberRoleChanged]) -> None:
    await store_role(
        session, room_id=event.data.room_id, user_id=event.data.user_id, role=event.data.role
    )


@handlers.on(MemberRemoved)
async def remove_member(session: AsyncSession, event: Event[MemberRemoved]) -> None:
    await service.remove_member(
        session, room_id=event.data.room_id, user_id=event.data.user_id, actor_id=event.actor_id
    )


@handlers.on(RoomDeleted)
async def delete_room_tasks(session: AsyncSession, event: Event[RoomDeleted]) -> None:
    await service.forget_room(session, room_id=event.data.room_id, actor_id=event.actor_id)


@handlers.on(UserDeleted)
async def unassign_deleted_user(session: AsyncSession, event: Event[UserDeleted]) -> None:
    await service.forget_user(session, user_id=event.data.user_id, actor_id=event.actor_id)
