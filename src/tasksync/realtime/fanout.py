"""How an event reaches the hubs: in this process (embedded mode) or through Redis
(distributed mode, fanout_redis.py). Both give every room event a gap-free per-room sequence
number, keep a bounded buffer for `resume`, and deliver each event once to each hub that
serves the room."""

from typing import Any, Protocol
from uuid import UUID

import orjson

from tasksync.realtime import protocol
from tasksync.realtime.hub import Hub
from tasksync.realtime.room_log import RoomLogs

# Events that may grant a room to the member they name (when the replica still has them).
ROLE_EVENTS = frozenset({"member.added", "member.role_changed"})


class Fanout(Protocol):
    available: bool

    async def start(self, hub: Hub) -> None: ...

    async def stop(self) -> None: ...

    async def publish(
        self, *, event_id: str, room_id: UUID, event: dict[str, Any], grant: UUID | None = None
    ) -> None:
        """Numbers the room's event, keeps it for resume and delivers it (once per id); with
        `grant`, that member's sockets are subscribed to the room first."""
        ...

    async def personal(self, user_id: UUID, text: str) -> None: ...

    async def revoke(self, room_id: UUID, user_id: UUID | None) -> None:
        """Every hub unsubscribes the member (or everyone) from the room; returns once this
        can no longer be overtaken by a later event of the room."""
        ...

    async def disconnect(self, user_id: UUID, code: int, reason: str) -> None: ...

    async def replay(self, room_id: UUID, after: int) -> list[tuple[int, str]] | None: ...

    def watch(self, kind: str, key: UUID) -> None: ...

    def unwatch(self, kind: str, key: UUID) -> None: ...


def client_event(event: dict[str, Any]) -> str:
    """The event as clients see it: the envelope's public fields."""
    return orjson.dumps(
        {key: event.get(key) for key in ("id", "type", "occurred_at", "actor_id", "data")}
    ).decode()


class LocalFanout:
    """Embedded mode: one process holds the sequences and the buffers, and the one hub."""

    def __init__(self, *, buffer_events: int, buffer_seconds: int) -> None:
        self.logs = RoomLogs(max_events=buffer_events, max_seconds=buffer_seconds)
        self.available = True
        self.hub: Hub | None = None

    async def start(self, hub: Hub) -> None:
        self.hub = hub

    async def stop(self) -> None:
        self.hub = None

    async def publish(
        self, *, event_id: str, room_id: UUID, event: dict[str, Any], grant: UUID | None = None
    ) -> None:
        if not self.logs.first_time(event_id):
            return
        body = client_event(event)
        seq, text = self.logs.append(room_id, lambda n: protocol.event_message(room_id, n, body))
        if self.hub is not None:
            if grant is not None:
                self.hub.grant(room_id, grant)
            self.hub.deliver(room_id, seq, text, event)
        if event.get("type") == "room.deleted":
            self.logs.forget(room_id)

    async def personal(self, user_id: UUID, text: str) -> None:
        if self.hub is not None:
            self.hub.deliver_personal(user_id, text)

    async def revoke(self, room_id: UUID, user_id: UUID | None) -> None:
        if self.hub is not None:
            self.hub.revoke(room_id, user_id)

    async def disconnect(self, user_id: UUID, code: int, reason: str) -> None:
        if self.hub is not None:
            self.hub.disconnect(user_id, code, reason)

    async def replay(self, room_id: UUID, after: int) -> list[tuple[int, str]] | None:
        return self.logs.replay(room_id, after)

    def watch(self, kind: str, key: UUID) -> None:
        return None

    def unwatch(self, kind: str, key: UUID) -> None:
        return None
