from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.activity import service
from tasksync.activity.api import admin, router
from tasksync.activity.events import handlers
from tasksync.activity.models import Base, event_tables, room_roles
from tasksync.activity.settings import ActivitySettings
from tasksync.common.app import ServiceDefinition
from tasksync.common.settings import ServiceSettings


async def forget_expired_entries(session: AsyncSession, settings: ServiceSettings) -> None:
    """Retention: entries older than `activity_retention_days` go, a checkpoint stays."""
    assert isinstance(settings, ActivitySettings)
    await service.retain(session, days=settings.activity_retention_days)


definition = ServiceDefinition(
    name="activity",
    settings=ActivitySettings,
    routers=[router, admin],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=room_roles,
    housekeeping=[forget_expired_entries],
    description="The audit trail of everything: append-only, hash-chained, with task history.",
)
