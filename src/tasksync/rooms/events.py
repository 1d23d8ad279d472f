"""Handlers for the events of other services that the rooms service acts on.

The user.* events keep the replica of known accounts (people.py) current; user.deleted also
takes the person out of every room, with the same ownership and last-member rules as leaving
by hand (service.remove_user_everywhere publishes the member and room events).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.contracts.users import (
    UserDeactivated,
    UserDeleted,
    UserReactivated,
    UserRegistered,
    UserUpdated,
)
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.rooms import queries, service

handlers = EventHandlers("rooms")


@handlers.on(UserRegistered)
async def remember_user(session: AsyncSession, event: Event[UserRegistered]) -> None:
    data = event.data
    await queries.upsert_known_user(
        session, id=data.user_id, username=data.username, full_name=data.full_name
    )


@handlers.on(UserUpdated)
async def update_user(session: AsyncSession, event: Event[UserUpdated]) -> None:
    data = event.data
    await queries.upsert_known_user(
        session, id=data.user_id, username=data.username, full_name=data.full_name
    )


@handlers.on(UserDeactivated)
async def deactivate_user(session: AsyncSession, event: Event[UserDeactivated]) -> None:
    await queries.set_user_active(session, event.data.user_id, active=False)


@handlers.on(UserReactivated)
async def reactivate_user(session: AsyncSession, event: Event[UserReactivated]) -> None:
    await queries.set_user_active(session, event.data.user_id, active=True)


@handlers.on(UserDeleted)
async def remove_user(session: AsyncSession, event: Event[UserDeleted]) -> None:
    await service.remove_user_everywhere(session, user_id=event.data.user_id)
