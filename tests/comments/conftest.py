"""Fixtures of the comments suite: the embedded stack (with direct access to the comments
database for what no route exposes), a room with one person per role and a task in it."""

from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tasksync.comments.models import Comment, Reaction, room_roles
from tasksync.common.db import Database
from tests.helpers.rooms import ROLES, RoleRoom, cast_of, room_with_roles
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually


@pytest.fixture
def comments_db(stack_app: FastAPI) -> Database:
    """The comments service's own database."""
    return stack_app.state.mounted["comments"].state.kit.db


@pytest.fixture
async def room(client: httpx.AsyncClient, comments_db: Database) -> RoleRoom:
    """A room with an owner, an admin, a member and a viewer, plus an outsider; the comments
    service has heard of every membership."""
    room = await room_with_roles(client, await cast_of(client), "Talk")
    await eventually(lambda: _replica_has_roles(comments_db, room))
    return room


@pytest.fixture
async def task(client: httpx.AsyncClient, room: RoleRoom) -> dict[str, Any]:
    """A task in the room, created by its member."""
    return await create_task(client, room.member, room.id, "Discuss me")


async def _replica_has_roles(comments_db: Database, room: RoleRoom) -> bool:
    """Every membership has reached the replica (the viewer may be missing, as it was
    lowered from member; never stale: see common/room_roles.py)."""
    c = room_roles.table.c
    async with comments_db.sessionmaker() as session:
        rows = await session.execute(select(c.user_id, c.role).where(c.room_id == UUID(room.id)))
        roles = {str(user_id): role for user_id, role in rows}
    found = [roles.get(room.by_role(role).id) for role in ROLES]
    return found[:3] == list(ROLES[:3]) and found[3] in ("viewer", None)


async def stored_comments(comments_db: Database, **where: Any) -> int:
    """How many comment rows the comments database holds (tombstones included)."""
    conditions = [getattr(Comment, name) == UUID(value) for name, value in where.items()]
    async with comments_db.sessionmaker() as session:
        return (
            await session.scalar(select(func.count()).where(*conditions).select_from(Comment))
        ) or 0


async def stored_reactions(comments_db: Database) -> int:
    async with comments_db.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(Reaction))) or 0
