"""Pure data shared across services: event payload models, room roles and their ranks, and
shared value types. No logic and no I/O: a service imports these, never another service.

`EVENT_TYPES` is the catalog of every event type, listed by hand so that nothing is
registered by the side effect of an import.
"""

from tasksync.contracts import comments, files, notifications, rooms, tasks, users
from tasksync.contracts.events import EventData

EVENT_TYPES: tuple[type[EventData], ...] = (
    *users.EVENTS,
    *rooms.EVENTS,
    *tasks.EVENTS,
    *comments.EVENTS,
    *files.EVENTS,
    *notifications.EVENTS,
)
