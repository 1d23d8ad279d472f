"""Fixtures of the rooms suite: a cast of people with every room role, direct reads of the
rooms database (its outbox and replica), and the stack built with tuned settings."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from tasksync import stack
from tasksync.common.db import Database
from tasksync.rooms.models import event_tables
from tests.helpers.builders import Person, signed_up
from tests.helpers.rooms import create_room, join, set_role
from tests.helpers.stacks import AppFactory, embedded_factory
from tests.helpers.waiting import eventually

ROOMS = "/api/v1/rooms"
ROLES = ("viewer", "member", "admin", "owner")


@dataclass
class Cast:
    """One person per room role, an outsider, and `tia`, an ordinary member that room
    routes act on."""

    owner: Person
    admin: Person
    member: Person
    viewer: Person
    outsider: Person
    tia: Person

    def of(self, role: str) -> Person:
        return getattr(self, role)


@dataclass
class CastRoom:
    id: str
    code: str


@pytest.fixture
async def cast(client: httpx.AsyncClient) -> Cast:
    names = ("owner", "admin", "member", "viewer", "outsider", "tia")
    people = [await signed_up(client, f"{name}_person") for name in names]
    return Cast(*people)


async def room_with(client: httpx.AsyncClient, cast: Cast, name: str = "Room") -> CastRoom:
    """A room owned by `cast.owner` with `cast.admin`, `.member`, `.viewer` and `.tia` (member)
    in it, joined in that order."""
    room = await create_room(client, cast.owner, name)
    for role in ("admin", "member", "viewer", "tia"):
        await join(client, cast.of(role), room["code"])
    await set_role(client, cast.owner, room["id"], cast.admin.id, "admin")
    await set_role(client, cast.owner, room["id"], cast.viewer.id, "viewer")
    await eventually(lambda: _usernames_known(client, cast.owner, room["id"]))
    return CastRoom(room["id"], room["code"])


async def _usernames_known(client: httpx.AsyncClient, owner: Person, room_id: str) -> bool:
    """The rooms service has heard of every member's account (the user.* events arrived)."""
    members = await client.get(f"{ROOMS}/{room_id}/members", headers=owner.headers)
    return all(member["username"] for member in members.json()["items"])


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


@pytest.fixture
def embedded(settings: dict[str, Any]) -> AppFactory:
    """The embedded stack built with extra settings, e.g. `embedded(join_attempts_per_user=3)`."""
    return embedded_factory(settings)
