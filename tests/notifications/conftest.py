"""Fixtures of the notifications suite: the embedded stack with direct access to the
notifications service (its database and runtime), a room with one person per role that the
service has fully heard of, and helpers to read someone's inbox."""

from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.contracts.events import Envelope, EventData
from tasksync.notifications.models import Notification, known_users
from tasksync.notifications.runtime import Runtime
from tests.helpers.builders import Person
from tests.helpers.rooms import RoleRoom, cast_of, room_with_roles
from tests.helpers.waiting import eventually

INBOX = "/api/v1/notifications"


@pytest.fixture
def notifications_app(stack_app: FastAPI) -> FastAPI:
    return stack_app.state.mounted["notifications"]


@pytest.fixture
def notifications_db(notifications_app: FastAPI) -> Database:
    """The notifications service's own database."""
    return notifications_app.state.kit.db


@pytest.fixture
def runtime(notifications_app: FastAPI) -> Runtime:
    return notifications_app.state.runtime


@pytest.fixture
async def room(client: httpx.AsyncClient, notifications_db: Database) -> RoleRoom:
    """A room with an owner, an admin, a member, a viewer and tia (a member), plus an
    outsider; the notifications service knows everyone's name and has told the admin and
    the viewer of their new roles."""
    room = await room_with_roles(client, await cast_of(client), "Board")

    async def settled() -> bool:
        async with notifications_db.sessionmaker() as session:
            names = await session.scalar(select(func.count()).select_from(known_users.table))
            told = await session.scalar(
                select(func.count()).where(Notification.kind == "role_changed")
            )
        return names == 6 and told == 2

    await eventually(settled)
    return room


async def inbox(client: httpx.AsyncClient, person: Person, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(INBOX, params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def kinds_of(client: httpx.AsyncClient, person: Person, kind: str) -> list[dict[str, Any]]:
    return [item for item in await inbox(client, person, limit=200) if item["kind"] == kind]


async def told(
    client: httpx.AsyncClient, person: Person, kind: str, count: int = 1
) -> list[dict[str, Any]]:
    """`person`'s notifications of that kind, once there are `count` of them."""

    async def enough() -> list[dict[str, Any]] | None:
        found = await kinds_of(client, person, kind)
        return found if len(found) >= count else None

    return await eventually(enough)


async def stored(db: Database, **where: Any) -> list[Notification]:
    async with db.sessionmaker() as session:
        query = select(Notification).order_by(Notification.id)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list((await session.scalars(query)).all())


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
    """Puts an event on the bus as its producer's relay would."""
    await app.state.kit.events.bus.publish(sent.producer, [sent.model_dump(mode="json")])


async def settled(stack_app: FastAPI) -> None:
    """Every producer has relayed its outbox (in-process: every consumer applied it)."""
    for app in stack_app.state.mounted.values():
        if app.state.kit.events is not None:
            await app.state.kit.events.relay.drain()
