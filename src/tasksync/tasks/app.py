from tasksync.common.app import ServiceDefinition
from tasksync.common.kit import Kit
from tasksync.tasks.api import internal, router
from tasksync.tasks.events import handlers
from tasksync.tasks.models import Base, event_tables, idempotency_keys, room_roles
from tasksync.tasks.page_cache import PageCache
from tasksync.tasks.settings import TasksSettings


async def _start(kit: Kit) -> PageCache:
    settings = kit.settings
    assert isinstance(settings, TasksSettings)
    return PageCache(int(settings.page_cache_mb * 2**20))


definition = ServiceDefinition(
    name="tasks",
    settings=TasksSettings,
    routers=[router, internal],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=room_roles,
    idempotency_keys=idempotency_keys,
    start=_start,
    description="Tasks in rooms: status, priority, deadline, assignee, labels and order.",
)
