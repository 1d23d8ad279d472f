"""The sockets of this replica, by account and by room, and what reaches them.

The hub only ever delivers a room's event to the sockets it has subscribed to that room, and
it subscribes a socket only to rooms its account belongs to. Membership changes arrive two
ways: rooms' revocations (synchronously, before rooms answers the change) and the `member.*`
and `room.deleted` events themselves; whichever comes first unsubscribes.
"""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from tasksync.realtime import protocol
from tasksync.realtime.connection import Connection

# What the hub asks of the fan-out when the rooms or accounts it serves change.
Watch = Callable[[str, UUID], None]


class Hub:
    def __init__(self, *, watch: Watch, unwatch: Watch) -> None:
        self.by_user: dict[UUID, set[Connection]] = {}
        self.by_room: dict[UUID, set[Connection]] = {}
        self._watch = watch
        self._unwatch = unwatch

    def count(self, user_id: UUID) -> int:
        return len(self.by_user.get(user_id, ()))

    @property
    def connections(self) -> int:
        return sum(len(found) for found in self.by_user.values())

    def attach(self, connection: Connection, rooms: set[UUID]) -> None:
        mine = self.by_user.setdefault(connection.user_id, set())
        if not mine:
            self._watch("user", connection.user_id)
        mine.add(connection)
        for room_id in rooms:
            self.subscribe(connection, room_id)

    def detach(self, connection: Connection) -> None:
        for room_id in list(connection.rooms):
            self._leave(connection, room_id)
        mine = self.by_user.get(connection.user_id)
        if mine is not None:
            mine.discard(connection)
            if not mine:
                del self.by_user[connection.user_id]
                self._unwatch("user", connection.user_id)

    def subscribe(self, connection: Connection, room_id: UUID) -> None:
        if room_id in connection.rooms or not connection.wants(room_id):
            return
        connection.rooms.add(room_id)
        sockets = self.by_room.setdefault(room_id, set())
        if not sockets:
            self._watch("room", room_id)
        sockets.add(connection)

    def unsubscribe(self, connection: Connection, room_id: UUID, reason: str) -> None:
        if room_id in connection.rooms:
            self._leave(connection, room_id)
            connection.send(protocol.unsubscribed(room_id, reason))

    def _leave(self, connection: Connection, room_id: UUID) -> None:
        connection.rooms.discard(room_id)
        connection.last_seq.pop(room_id, None)
        connection.held.pop(room_id, None)
        sockets = self.by_room.get(room_id)
        if sockets is not None:
            sockets.discard(connection)
            if not sockets:
                del self.by_room[room_id]
                self._unwatch("room", room_id)

    def revoke(self, room_id: UUID, user_id: UUID | None) -> None:
        """Access is gone: a member's (or, with None, everyone's) sockets leave the room."""
        owners = self.by_user.values() if user_id is None else [self.by_user.get(user_id, set())]
        for sockets in owners:
            for connection in sockets:
                if connection.revoked_while_joining is not None:
                    connection.revoked_while_joining.add(room_id)
        if user_id is None:
            for connection in list(self.by_room.get(room_id, ())):
                self.unsubscribe(connection, room_id, "room_deleted")
            return
        for connection in list(self.by_user.get(user_id, ())):
            self.unsubscribe(connection, room_id, "removed")

    def disconnect(self, user_id: UUID, code: int, reason: str) -> None:
        for connection in list(self.by_user.get(user_id, ())):
            connection.close(code, reason)

    def close_all(self, code: int, reason: str) -> None:
        for sockets in list(self.by_user.values()):
            for connection in list(sockets):
                connection.close(code, reason)

    def grant(self, room_id: UUID, user_id: UUID) -> None:
        """The account is (still) a member: its sockets that want the room receive it."""
        for connection in list(self.by_user.get(user_id, ())):
            self.subscribe(connection, room_id)

    def deliver(self, room_id: UUID, seq: int, text: str, event: dict[str, Any]) -> None:
        """A room's event, to every socket of this replica subscribed to the room."""
        self._follow_membership(room_id, event)
        for connection in list(self.by_room.get(room_id, ())):
            connection.push(room_id, seq, text)

    def deliver_personal(self, user_id: UUID, text: str) -> None:
        for connection in list(self.by_user.get(user_id, ())):
            connection.send(text)

    def _follow_membership(self, room_id: UUID, event: dict[str, Any]) -> None:
        """Takes access away on the events that end it. Granting is never read from an event
        alone (a late `member.added` could follow a removal): the publisher checks the
        replica and calls `grant`."""
        kind, data = event.get("type"), event.get("data") or {}
        if kind == "member.removed":
            self.revoke(room_id, _uuid(data.get("user_id")))
        elif kind == "room.deleted":
            self.revoke(room_id, None)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
