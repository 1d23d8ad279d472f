"""Handlers for the events of other services that the rooms service acts on.

The kit's replica of known accounts follows the user.* events by itself; user.deleted also
takes the person out of every room, with the same ownership and last-member rules as leaving
by hand (service.remove_user_everywhere publishes the member and room events).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts.users import UserDeleted
from tasksync.rooms import service

handlers = EventHandlers("rooms")


@handlers.on(UserDeleted)
async def remove_user(session: AsyncSession, event: Event[UserDeleted]) -> None:
    await service.remove_user_everywhere(session, user_id=event.data.user_id)
