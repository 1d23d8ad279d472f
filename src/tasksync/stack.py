"""Composition: the only module that knows every service. It builds one service's app
(`tasksync serve`) or the whole embedded stack (`tasksync up`), where the gateway calls each
service in-process and every service reaches the others through in-process clients."""

import asyncio
import importlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from tasksync.common import registry
from tasksync.common.app import ServiceDefinition
from tasksync.common.client import ServiceDirectory
from tasksync.common.db import Database
from tasksync.common.events.local import InProcessBus
from tasksync.common.settings import ServiceLinkSettings

SERVICES = registry.NAMES


def definition(name: str) -> ServiceDefinition:
    """The service's `ServiceDefinition`, from where the registry says it is."""
    spec = registry.spec(name)
    if not spec.definition:
        raise ValueError(f"{name!r} is not a data-owning service.")
    module, _, attribute = spec.definition.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if not isinstance(found, ServiceDefinition) or found.name != name:
        raise TypeError(f"{spec.definition} is not the definition of {name!r}.")
    return found


def settings_for(name: str, **overrides: Any) -> Any:
    if name == "gateway":
        from tasksync.gateway.settings import GatewaySettings

        return GatewaySettings(**overrides)
    return definition(name).settings(**overrides)


def build_service(name: str, **overrides: Any) -> FastAPI:
    if registry.spec(name) is registry.GATEWAY:
        from tasksync.gateway.app import create_app

        return create_app(settings_for("gateway", **overrides))
    found = definition(name)
    return found.create_app(found.settings(**overrides))


def build_embedded(**overrides: Any) -> FastAPI:
    from tasksync.gateway.app import create_app

    apps: dict[str, FastAPI] = {}
    directory = ServiceDirectory(ServiceLinkSettings(**overrides), apps=apps)
    bus = InProcessBus()
    for name in SERVICES:
        found = definition(name)
        apps[name] = found.create_app(found.settings(**overrides), services=directory, bus=bus)
    bus.expect({name for name, app in apps.items() if app.state.event_handlers})
    return create_app(settings_for("gateway", **overrides), mounted=apps)


async def migrate(name: str, **overrides: Any) -> None:
    """Brings a service's database to its latest schema (creating it first)."""
    async with migrated_database(name, **overrides):
        return


async def migrate_all(names: Iterable[str] = SERVICES, **overrides: Any) -> None:
    """`migrate` for several services side by side: their databases are created together
    (the Alembic runs themselves take turns, `common/migrations.py`)."""
    await asyncio.gather(*(migrate(name, **overrides) for name in names))


@asynccontextmanager
async def migrated_database(name: str, **overrides: Any) -> AsyncIterator[Database]:
    """A service's database, created and brought to its latest schema, for commands."""
    from tasksync.common import migrations  # Alembic loads only where a process migrates

    found = definition(name)
    db = await Database.open(found.settings(**overrides).database_url(name))
    try:
        await migrations.upgrade(db, found.package, found.metadata)
        yield db
    finally:
        await db.close()
