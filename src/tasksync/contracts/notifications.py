"""Events of the notifications service."""

from uuid import UUID

from tasksync.contracts.events import EventData, event_type


@event_type("notification.created", producer="notifications")
class NotificationCreated(EventData):
    """Someone has a new notification in their inbox. Addressed to `user_id` alone: it is
    published without a room, so realtime pushes it to that account's sockets only."""

    notification_id: UUID
    user_id: UUID
    kind: str
    room_id: UUID | None
    task_id: UUID | None
    text: str


EVENTS = (NotificationCreated,)
