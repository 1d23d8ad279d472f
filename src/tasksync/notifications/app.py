from tasksync.common.app import ServiceDefinition
from tasksync.notifications import runtime
from tasksync.notifications.api import router
from tasksync.notifications.events import handlers
from tasksync.notifications.models import Base, event_tables, known_users, room_roles, task_rooms
from tasksync.notifications.settings import NotificationsSettings
from tasksync.notifications.webhooks.api import router as webhooks_router

definition = ServiceDefinition(
    name="notifications",
    settings=NotificationsSettings,
    routers=[router, webhooks_router],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=room_roles,
    known_users=known_users,
    task_rooms=task_rooms,
    start=runtime.start,
    stop=runtime.stop,
    description="In-app notifications, e-mail with preferences and digests, deadline reminders.",
)
