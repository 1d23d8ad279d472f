from tasksync.common.app import ServiceDefinition
from tasksync.realtime import live
from tasksync.realtime.api import router
from tasksync.realtime.events import handlers
from tasksync.realtime.models import Base, event_tables, room_roles
from tasksync.realtime.settings import RealtimeSettings

definition = ServiceDefinition(
    name="realtime",
    settings=RealtimeSettings,
    routers=[router],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=room_roles,
    start=live.start,
    stop=live.stop,
    description="WebSocket connections that push every room event as it happens.",
)
