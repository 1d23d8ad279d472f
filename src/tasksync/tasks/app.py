from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common import idempotency
from tasksync.common.app import build_service_app
from tasksync.common.client import ServiceDirectory
from tasksync.common.events.local import InProcessBus
from tasksync.tasks.access import RoomsDirectory
from tasksync.tasks.api import router
from tasksync.tasks.events import handlers
from tasksync.tasks.models import event_tables, idempotency_keys
from tasksync.tasks.page_cache import PageCache
from tasksync.tasks.settings import TasksSettings

Settings = TasksSettings


def create_app(
    settings: TasksSettings | None = None,
    *,
    services: ServiceDirectory | None = None,
    bus: InProcessBus | None = None,
) -> FastAPI:
    settings = settings or TasksSettings()
    return build_service_app(
        name="tasks",
        package="tasksync.tasks",
        settings=settings,
        routers=[router],
        services=services,
        events=event_tables,
        handlers=handlers if handlers.types else None,
        bus=bus,
        housekeeping=_forget_expired_idempotency_keys,
        on_startup=_start,
    )


async def _start(app: FastAPI) -> None:
    app.state.rooms = RoomsDirectory(app.state.services.client("rooms"))
    app.state.pages = PageCache(int(app.state.settings.page_cache_mb * 2**20))


async def _forget_expired_idempotency_keys(session: AsyncSession) -> None:
    await idempotency.prune(session, idempotency_keys)
