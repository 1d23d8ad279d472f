from fastapi import FastAPI

from tasksync.common.app import build_service_app
from tasksync.common.client import ServiceDirectory
from tasksync.common.events.local import InProcessBus
from tasksync.common.ratelimit import window_counter
from tasksync.rooms.api import router
from tasksync.rooms.events import handlers
from tasksync.rooms.models import event_tables
from tasksync.rooms.service import JoinGuard
from tasksync.rooms.settings import RoomsSettings

Settings = RoomsSettings


def create_app(
    settings: RoomsSettings | None = None,
    *,
    services: ServiceDirectory | None = None,
    bus: InProcessBus | None = None,
) -> FastAPI:
    settings = settings or RoomsSettings()

    async def start(app: FastAPI) -> None:
        app.state.join_guard = JoinGuard(
            window_counter(app.state.redis, settings.redis_prefix), settings
        )

    return build_service_app(
        name="rooms",
        package="tasksync.rooms",
        settings=settings,
        routers=[router],
        services=services,
        on_startup=start,
        events=event_tables,
        handlers=handlers if handlers.types else None,
        bus=bus,
        description="Rooms, join codes, members and their roles.",
    )
