"""Fixtures of the rooms suite: a cast of people with every room role and direct reads of
the rooms database (its outbox and replica)."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from tasksync import stack
from tasksync.common.db import Database
from tasksync.rooms.models import event_tables
from tests.helpers.builders import Person
from tests.helpers.rooms import Cast, cast_of

ROOMS = "/api/v1/rooms"
ROLES = ("viewer", "member", "admin", "owner")


@pytest.fixture
async def cast(client: httpx.AsyncClient) -> Cast:
    return await cast_of(client)


async def snapshot(client: httpx.AsyncClient, owner: Person, room_id: str) -> Any:
    """What a room looks like to its owner (itself and its members), to prove nothing changed."""
    room = await client.get(f"{ROOMS}/{room_id}", headers=owner.headers)
    members = (await client.get(f"{ROOMS}/{room_id}/members", headers=owner.headers)).json()
    for member in members["items"]:
        del member["username"]  # the replica's, which some tests empty on purpose
    return room.status_code, room.json(), members


@pytest.fixture
async def rooms_db(settings: dict[str, Any]) -> AsyncIterator[Database]:
    """Direct access to the rooms database, for what no public route exposes."""
    db = await Database.open(stack.settings_for("rooms", **settings).database_url("rooms"))
    try:
        yield db
    finally:
        await db.close()


OutboxReader = Callable[..., Any]


@pytest.fixture
def published(rooms_db: Database) -> OutboxReader:
    """The events rooms has published so far, in commit order, as (type, data) pairs."""

    async def read(*types: str) -> list[tuple[str, dict[str, Any]]]:
        outbox = event_tables.outbox
        async with rooms_db.sessionmaker() as session:
            rows = (await session.execute(select(outbox.c.envelope).order_by(outbox.c.seq))).all()
        events = [(row.envelope["type"], row.envelope["data"]) for row in rows]
        return [e for e in events if not types or e[0] in types]

    return read


@pytest.fixture
def forget_replica(rooms_db: Database) -> Callable[[], Any]:
    """Empties the replica of known users, so lookups must ask the users service."""

    async def forget() -> None:
        async with rooms_db.sessionmaker.begin() as session:
            await session.execute(text("DELETE FROM known_users"))

    return forget
