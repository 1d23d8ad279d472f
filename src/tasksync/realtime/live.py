"""The realtime service's runtime object (`app.state.runtime`): its hub, its fan-out, and
what turns a bus event into pushed messages."""

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.kit import Kit
from tasksync.contracts.events import Envelope
from tasksync.realtime import protocol
from tasksync.realtime.fanout import ROLE_EVENTS, Fanout, LocalFanout, client_event
from tasksync.realtime.fanout_redis import RedisFanout
from tasksync.realtime.hub import Hub
from tasksync.realtime.models import room_roles
from tasksync.realtime.settings import RealtimeSettings

# Account events after which the account's sockets are closed.
CLOSING = frozenset({"user.deactivated", "user.deleted"})
# Events addressed to one account (not to a room), by the payload field naming it. The
# notifications service's `notification.created` will be one.
PERSONAL = {"notification.created": "user_id"}


@dataclass
class Live:
    kit: Kit
    settings: RealtimeSettings
    hub: Hub
    fanout: Fanout

    async def route(self, session: AsyncSession, envelope: Envelope) -> None:
        """Pushes one event from the bus to whoever may see it."""
        if envelope.room_id is not None:
            event = envelope.model_dump(mode="json")
            await self.fanout.publish(
                event_id=str(envelope.id),
                room_id=envelope.room_id,
                event=event,
                grant=await self._granted(session, envelope),
            )
        elif envelope.type in CLOSING:
            await self.fanout.disconnect(
                UUID(str(envelope.data["user_id"])),
                protocol.ACCOUNT_CLOSED,
                "This account was deactivated or deleted.",
            )
        elif (field := PERSONAL.get(envelope.type)) and envelope.data.get(field):
            event = client_event(envelope.model_dump(mode="json"))
            await self.fanout.personal(
                UUID(str(envelope.data[field])), f'{{"type":"personal","event":{event}}}'
            )

    async def _granted(self, session: AsyncSession, envelope: Envelope) -> UUID | None:
        """The member a role event names, if the replica (which the same transaction just
        updated, and which a later revocation would have emptied) still has them."""
        if envelope.type not in ROLE_EVENTS or envelope.room_id is None:
            return None
        user_id = UUID(str(envelope.data["user_id"]))
        role = await room_roles.stored_role(session, envelope.room_id, user_id)
        return user_id if role is not None else None

    async def revoked(self, room_id: UUID, user_id: UUID | None) -> None:
        """Rooms took access away (its revocation, before it answers the change)."""
        await self.fanout.revoke(room_id, user_id)


async def start(kit: Kit) -> Live:
    settings = kit.settings
    assert isinstance(settings, RealtimeSettings)
    fanout: Fanout
    if kit.redis is not None:
        fanout = RedisFanout(
            kit.redis,
            settings.redis_prefix,
            buffer_events=settings.live_buffer_events,
            buffer_seconds=settings.live_buffer_seconds,
            retention_seconds=int(timedelta(days=settings.event_retention_days).total_seconds()),
        )
    else:
        fanout = LocalFanout(
            buffer_events=settings.live_buffer_events,
            buffer_seconds=settings.live_buffer_seconds,
        )
    hub = Hub(watch=fanout.watch, unwatch=fanout.unwatch)
    await fanout.start(hub)
    live = Live(kit=kit, settings=settings, hub=hub, fanout=fanout)
    kit.room_role_listeners.append(live.revoked)
    return live


async def stop(live: Live) -> None:
    """Every socket still open hears 1012: reconnect to another replica and resume."""
    live.hub.close_all(protocol.RESTARTING, "This server is restarting; reconnect and resume.")
    await live.fanout.stop()
