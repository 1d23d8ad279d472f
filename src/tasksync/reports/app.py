import asyncio

from tasksync.common.app import ServiceDefinition
from tasksync.common.kit import Kit
from tasksync.reports import exports, rebuild
from tasksync.reports.api import router
from tasksync.reports.events import handlers
from tasksync.reports.models import Base, event_tables, room_roles
from tasksync.reports.runtime import ReportsRuntime
from tasksync.reports.settings import ReportsSettings


async def _start(kit: Kit) -> ReportsRuntime:
    settings = kit.settings
    assert isinstance(settings, ReportsSettings)
    runtime = ReportsRuntime(settings)
    worker = asyncio.create_task(exports.work(kit.db, runtime))
    filling = asyncio.create_task(rebuild.when_empty(kit, runtime))

    async def stop() -> None:
        for task in (worker, filling):
            task.cancel()
        await asyncio.gather(worker, filling, return_exceptions=True)

    kit.on_stop.append(stop)
    return runtime


definition = ServiceDefinition(
    name="reports",
    settings=ReportsSettings,
    routers=[router],
    metadata=Base.metadata,
    event_tables=event_tables,
    handlers=handlers,
    room_roles=room_roles,
    start=_start,
    housekeeping=[exports.forget_expired_exports],
    description="Dashboards and flow metrics of rooms, and exports made in the background.",
)
