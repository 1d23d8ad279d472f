"""Fixtures of the tasks suite: the embedded stack (with direct access to the tasks
database for what no route exposes) and a room with one person per role."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasksync import stack
from tasksync.common.db import Database
from tasksync.tasks.models import room_roles
from tests.helpers.builders import Person, signed_up
from tests.helpers.rooms import create_room, join, set_role
from tests.helpers.waiting import eventually


@pytest.fixture
async def embedded(settings: dict[str, Any]) -> AsyncIterator[FastAPI]:
    app = stack.build_embedded(**settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(embedded: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The shared kind of client, on a stack whose apps this suite can reach into."""
    transport = httpx.ASGITransport(app=embedded)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def tasks_db(embedded: FastAPI) -> Database:
    """The tasks service's own database."""
    return embedded.state.mounted["tasks"].state.kit.db


ROLES = ("owner", "admin", "member", "viewer")


@dataclass
class Room:
    id: str
    code: str
    owner: Person
    admin: Person
    member: Person
    viewer: Person
    outsider: Person

    def by_role(self, role: str) -> Person:
        return getattr(self, role)


@pytest.fixture
async def room(client: httpx.AsyncClient, tasks_db: Database) -> Room:
    """A room with an owner, an admin, a member and a viewer, plus an outsider; the tasks
    service has heard of every membership."""
    owner, admin, member, viewer, outsider = [
        await signed_up(client, name) for name in ("olga", "adam", "mia", "vic", "otto")
    ]
    created = await create_room(client, owner, "Board")
    for person in (admin, member, viewer):
        await join(client, person, created["code"])
    await set_role(client, owner, created["id"], admin.id, "admin")
    await set_role(client, owner, created["id"], viewer.id, "viewer")
    room = Room(created["id"], created["code"], owner, admin, member, viewer, outsider)
    await eventually(lambda: _replica_has_roles(tasks_db, room))
    return room


async def replica_roles(tasks_db: Database, room_id: str) -> dict[str, str]:
    """The tasks service's copy of a room's memberships: user id -> role."""
    async with tasks_db.sessionmaker() as session:
        rows = await session.execute(
            select(room_roles.table.c.user_id, room_roles.table.c.role).where(
                room_roles.table.c.room_id == UUID(room_id)
            )
        )
        return {str(user_id): role for user_id, role in rows}


async def _replica_has_roles(tasks_db: Database, room: Room) -> bool:
    roles = await replica_roles(tasks_db, room.id)
    return all(roles.get(room.by_role(role).id) == role for role in ROLES)
