"""Fixtures of the tasks suite: the embedded stack (with direct access to the tasks
database for what no route exposes) and a room with one person per role."""

from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasksync.common.db import Database
from tasksync.tasks.models import room_roles
from tests.helpers.rooms import ROLES, RoleRoom, cast_of, room_with_roles
from tests.helpers.waiting import eventually


@pytest.fixture
def tasks_db(stack_app: FastAPI) -> Database:
    """The tasks service's own database."""
    return stack_app.state.mounted["tasks"].state.kit.db


@pytest.fixture
async def room(client: httpx.AsyncClient, tasks_db: Database) -> RoleRoom:
    """A room with an owner, an admin, a member and a viewer, plus an outsider; the tasks
    service has heard of every membership."""
    room = await room_with_roles(client, await cast_of(client), "Board")
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


async def _replica_has_roles(tasks_db: Database, room: RoleRoom) -> bool:
    """Every membership has reached the replica; the viewer was a member first, and a
    lowered role is forgotten until it is asked for (common/room_roles.py), so the viewer
    may be missing, never stale."""
    roles = await replica_roles(tasks_db, room.id)
    found = [roles.get(room.by_role(role).id) for role in ROLES]
    return found[:3] == list(ROLES[:3]) and found[3] in ("viewer", None)
