"""Composition: the only module that knows every service. It builds one service's app
(`tasksync serve`) or the whole embedded stack (`tasksync up`), where the gateway calls each
service in-process and every service reaches the others through in-process clients."""

import importlib
from typing import Any

from fastapi import FastAPI

from tasksync.common.client import ServiceDirectory
from tasksync.common.events.local import InProcessBus
from tasksync.common.settings import ServiceLinkSettings

# Service name -> module with `create_app(settings, *, services, bus)` and `Settings`.
SERVICES: dict[str, str] = {
    "users": "tasksync.users.app",
    "rooms": "tasksync.rooms.app",
    "tasks": "tasksync.tasks.app",
}
GATEWAY = "tasksync.gateway.app"


def _module(name: str) -> Any:
    if name == "gateway":
        return importlib.import_module(GATEWAY)
    if name not in SERVICES:
        known = ", ".join(["gateway", *SERVICES])
        raise ValueError(f"Unknown service {name!r}; choose one of: {known}.")
    return importlib.import_module(SERVICES[name])


def event_tables(name: str) -> Any:
    """The service's outbox, inbox and dead-letter tables."""
    return importlib.import_module(f"{SERVICES[name].rsplit('.', 1)[0]}.models").event_tables


def event_handlers(name: str) -> Any:
    """The service's event handlers, or None when it consumes no events."""
    app_module = _module(name)
    return getattr(app_module, "handlers", None)


def settings_for(name: str, **overrides: Any) -> Any:
    return _module(name).Settings(**overrides)


def build_service(name: str, **overrides: Any) -> FastAPI:
    module = _module(name)
    return module.create_app(module.Settings(**overrides))


def build_embedded(**overrides: Any) -> FastAPI:
    apps: dict[str, FastAPI] = {}
    directory = ServiceDirectory(ServiceLinkSettings(**overrides), apps=apps)
    bus = InProcessBus()
    for name in SERVICES:
        module = _module(name)
        apps[name] = module.create_app(module.Settings(**overrides), services=directory, bus=bus)
    bus.expect({name for name, app in apps.items() if app.state.event_handlers})
    gateway = _module("gateway")
    return gateway.create_app(gateway.Settings(**overrides), mounted=apps)
