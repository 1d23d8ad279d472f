from uuid import UUID

from tasksync.contracts.events import EventData, event_type
from tasksync.contracts.roles import Role


@event_type("room.created", producer="rooms")
class RoomCreated(EventData):
    """A room exists; its creator is its owner (a `member.added` event follows)."""

    room_id: UUID
    name: str
    owner_id: UUID


@event_type("room.updated", producer="rooms")
class RoomUpdated(EventData):
    """A room's name or description changed; `changed` names the fields."""

    room_id: UUID
    name: str
    changed: list[str]


@event_type("room.deleted", producer="rooms")
class RoomDeleted(EventData):
    """A room is gone, with everything in it (tasks, comments, files follow); its webhooks
    get this as their last delivery, then go."""

    room_id: UUID


@event_type("room.code_rotated", producer="rooms")
class RoomCodeRotated(EventData):
    """A room's join code was replaced; the old code no longer works. The code is not sent."""

    room_id: UUID


@event_type("member.added", producer="rooms")
class MemberAdded(EventData):
    """Someone joined a room (by code, by invitation, or as its creator)."""

    room_id: UUID
    user_id: UUID
    role: Role


@event_type("member.role_changed", producer="rooms")
class MemberRoleChanged(EventData):
    """A member's role changed (including ownership handed over)."""

    room_id: UUID
    user_id: UUID
    role: Role
    previous_role: Role


@event_type("member.removed", producer="rooms")
class MemberRemoved(EventData):
    """Someone left or was removed from a room; their access ends."""

    room_id: UUID
    user_id: UUID


EVENTS = (
    RoomCreated,
    RoomUpdated,
    RoomDeleted,
    RoomCodeRotated,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
)
