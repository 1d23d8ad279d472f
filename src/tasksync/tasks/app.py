from fastapi import FastAPI

from tasksync.common.app import build_service_app
from tasksync.common.client import ServiceDirectory
from tasksync.common.events.local import InProcessBus
from tasksync.tasks.api import router
from tasksync.tasks.events import handlers
from tasksync.tasks.models import event_tables
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
    )
