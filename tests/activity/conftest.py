"""Fixtures of the activity suite: the embedded stack with direct access to the activity
database, a room with one person per role, a system administrator, and publishing an event
the way a producer's relay does."""

from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tasksync import stack
from tasksync.activity.models import Entry
from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.contracts.events import Envelope, EventData
from tasksync.users import commands
from tests.helpers.builders import Person, signed_up
from tests.helpers.rooms import RoleRoom, cast_of, room_with_roles
from tests.helpers.waiting import eventually

ADMIN_AUDIT = "/api/v1/admin/audit"


@pytest.fixture
def activity_app(stack_app: FastAPI) -> FastAPI:
    return stack_app.state.mounted["activity"]


@pytest.fixture
def activity_db(activity_app: FastAPI) -> Database:
    """The activity service's own database."""
    return activity_app.state.kit.db


# A room with roles: created, five joins, two role changes.
ROOM_ENTRIES = 8


@pytest.fixture
async def room(client: httpx.AsyncClient, activity_db: Database) -> RoleRoom:
    """A room with an owner, an admin, a member, a viewer and `tia`, plus an outsider; the
    activity service has recorded how the room came to be (events of different producers
    may arrive in any order, so tests start after them)."""
    room = await room_with_roles(client, await cast_of(client), "Board")

    async def all_recorded() -> bool:
        return len(await entries(activity_db, room_id=UUID(room.id))) == ROOM_ENTRIES

    await eventually(all_recorded)
    return room


@pytest.fixture
async def root(
    client: httpx.AsyncClient, settings: dict[str, Any], activity_db: Database
) -> Person:
    """A signed-in system administrator, promoted the way an operator does it; the audit has
    recorded the promotion (the running relay announces it a moment later)."""
    person = await signed_up(client, "root")
    await commands.promote(stack.settings_for("users", **settings), "root")

    async def promoted() -> bool:
        return bool(
            await entries(activity_db, type="user.admin_granted", subject_id=UUID(person.id))
        )

    await eventually(promoted)
    return person


def envelope(data: EventData, *, actor_id: UUID | None, room_id: UUID | None = None) -> Envelope:
    return Envelope(
        id=uuid7(),
        type=data.type_name,
        version=data.version,
        occurred_at=utcnow(),
        producer=data.producer,
        actor_id=actor_id,
        room_id=room_id,
        data=data.model_dump(mode="json"),
    )


async def publish(app: FastAPI, sent: Envelope) -> None:
    """Puts an event on the bus as its producer's relay would (Redis Streams on PostgreSQL
    runs, in-process on SQLite)."""
    await app.state.kit.events.bus.publish(sent.producer, [sent.model_dump(mode="json")])


async def entries(db: Database, **where: Any) -> list[Entry]:
    """The entries (matching column == value), in chain order."""
    async with db.sessionmaker() as session:
        query = select(Entry).order_by(Entry.seq)
        for name, value in where.items():
            query = query.where(getattr(Entry, name) == value)
        return list((await session.scalars(query)).all())


async def count_entries(db: Database) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Entry)) or 0


async def recorded(db: Database, event_id: UUID) -> Entry:
    """The entry of that event, once it is there."""

    async def find() -> Entry | None:
        found = await entries(db, id=event_id)
        return found[0] if found else None

    return await eventually(find)


async def settled(stack_app: FastAPI) -> None:
    """Every producer has relayed its outbox (in-process: every consumer applied it)."""
    for app in stack_app.state.mounted.values():
        if app.state.kit.events is not None:
            await app.state.kit.events.relay.drain()
