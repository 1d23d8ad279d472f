"""A test-only consuming service: it records every user.* event it applies, and can be told
to fail or to block, so the event backbone can be tested before real consumers exist."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, func, select

from tasksync.common.app import ServiceDefinition
from tasksync.common.db import Database, new_metadata
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.events.local import InProcessBus
from tasksync.common.events.tables import add_event_tables
from tasksync.common.settings import ServiceSettings
from tasksync.contracts.users import UserDeleted, UserRegistered

metadata: MetaData = new_metadata()
tables = add_event_tables(metadata)
# One row per application of an event (no unique event id), so a duplicate shows as a row.
seen = Table(
    "seen",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
    Column("type", String(100), nullable=False),
    Column("username", String(100), nullable=True),
)


@dataclass
class Behaviour:
    """What the probe's handler does; tests change it while the probe runs."""

    fail_for: set[str] = field(default_factory=set)
    block: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)


behaviour = Behaviour()
handlers = EventHandlers("probe")


@handlers.on(UserRegistered)
async def record_registration(session: Any, event: Event[UserRegistered]) -> None:
    behaviour.entered.set()
    if behaviour.block is not None:
        await behaviour.block.wait()
    if event.data.username in behaviour.fail_for:
        raise RuntimeError(f"probe refuses {event.data.username}")
    await session.execute(
        seen.insert().values(
            event_id=event.id, type="user.registered", username=event.data.username
        )
    )


@handlers.on(UserDeleted)
async def record_deletion(session: Any, event: Event[UserDeleted]) -> None:
    await session.execute(seen.insert().values(event_id=event.id, type="user.deleted"))


def probe_settings(overrides: dict[str, Any]) -> ServiceSettings:
    return ServiceSettings(**overrides)


async def create_tables(settings: ServiceSettings) -> None:
    db = await Database.open(settings.database_url("probe"))
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            for table in (seen, tables.inbox, tables.dead_letters, tables.outbox):
                await conn.execute(table.delete())
    finally:
        await db.close()


definition = ServiceDefinition(
    name="probe",
    package="tests.helpers",
    settings=ServiceSettings,
    routers=[],
    metadata=metadata,
    event_tables=tables,
    handlers=handlers,
)


def create_probe_app(settings: ServiceSettings, bus: InProcessBus | None = None) -> FastAPI:
    return definition.create_app(settings, bus=bus)


async def seen_usernames(db: Database) -> list[str | None]:
    async with db.engine.connect() as conn:
        return list(await conn.scalars(select(seen.c.username).order_by(seen.c.username)))


async def count_seen(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(seen)) or 0)
