"""The activity service records every event type of the catalog: one handler, registered
for each type (so it reads every producer's stream), writes the event's entry. The kit's
replica of room roles follows `member.*`, `room.deleted` and `user.deleted` by itself,
before it."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.activity import service
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts import EVENT_TYPES

handlers = EventHandlers("activity")


async def record_entry(session: AsyncSession, event: Event[Any]) -> None:
    await service.record(session, event)


for model in EVENT_TYPES:
    handlers.on(model)(record_entry)
handlers.before_commit(service.write_entries)
