"""Every event of the catalog goes live: room events to the room's members, account closures
to the account's sockets, personal events to their addressee (live.py decides which)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.kit import runtime_of
from tasksync.contracts import EVENT_TYPES

handlers = EventHandlers("realtime")


async def push(session: AsyncSession, event: Event[Any]) -> None:
    """Pushes the event; it runs after the replica's own handlers, so a membership change is
    already known. A failure (Redis unreachable) leaves the event to be delivered again."""
    await runtime_of(session).route(session, event.envelope)


for model in EVENT_TYPES:
    handlers.on(model)(push)
