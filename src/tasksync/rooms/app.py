from tasksync.common.app import ServiceDefinition
from tasksync.common.kit import Kit
from tasksync.common.ratelimit import window_counter
from tasksync.rooms.api import router
from tasksync.rooms.events import handlers
from tasksync.rooms.models import Base, event_tables, known_users
from tasksync.rooms.service import JoinGuard, MembershipRoles
from tasksync.rooms.settings import RoomsSettings


async def _start(kit: Kit) -> JoinGuard:
    settings = kit.settings
    assert isinstance(settings, RoomsSettings)
    return JoinGuard(window_counter(kit.redis, settings.redis_prefix), settings)


definition = ServiceDefinition(
    name="rooms",
    settings=RoomsSettings,
    routers=[router],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=lambda kit: MembershipRoles(),
    known_users=known_users,
    start=_start,
    description="Rooms, join codes, members and their roles.",
)
