"""Fixtures of the notifications suite: the embedded stack with direct access to the
notifications service (its database and runtime), a room with one person per role that the
service has fully heard of, and helpers to read someone's inbox."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
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
from tasksync.contracts.users import UserEmailVerified
from tasksync.notifications.models import Address, Mail, Notification, known_users
from tasksync.notifications.runtime import Runtime
from tests.helpers.builders import Person
from tests.helpers.rooms import RoleRoom, cast_of, room_with_roles
from tests.helpers.stacks import AppFactory
from tests.helpers.waiting import eventually
from tests.notifications.hooks import HookStack, Receiver, serving
from tests.notifications.smtp import SmtpServer

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


@dataclass
class MailStack:
    client: httpx.AsyncClient
    app: FastAPI
    room: RoleRoom
    smtp: SmtpServer | None

    @property
    def notifications(self) -> FastAPI:
        return self.app.state.mounted["notifications"]

    @property
    def runtime(self) -> Runtime:
        return self.notifications.state.runtime

    async def mails(self, **where: Any) -> list[Mail]:
        async with self.notifications.state.kit.db.sessionmaker() as session:
            query = select(Mail).order_by(Mail.id)
            for name, value in where.items():
                query = query.where(getattr(Mail, name) == value)
            return list((await session.scalars(query)).all())


def address(person: Person) -> str:
    return f"{person.username}@example.org"


async def verified(app: FastAPI, person: Person) -> None:
    """The users service said this person verified their address."""
    data = UserEmailVerified(user_id=UUID(person.id), email=address(person))
    await publish(app.state.mounted["notifications"], envelope(data, actor_id=UUID(person.id)))


@pytest.fixture
async def mail_stack(embedded: AppFactory) -> AsyncIterator[MailStack]:
    """A stack sending through a real SMTP server, with a room whose tia and admin have
    verified addresses."""
    with SmtpServer() as smtp:
        async with embedded(**smtp.settings) as running, running.client() as client:
            room = await room_with_roles(client, await cast_of(client), "Board")
            for person in (room.tia, room.admin):
                await verified(running.app, person)
            stack = MailStack(client, running.app, room, smtp)

            async def known() -> bool:
                async with stack.notifications.state.kit.db.sessionmaker() as session:
                    return len((await session.scalars(select(Address))).all()) == 2

            await eventually(known)
            yield stack


async def address_known(app: FastAPI, person: Person) -> bool:
    db = app.state.mounted["notifications"].state.kit.db
    async with db.sessionmaker() as session:
        return await session.get(Address, UUID(person.id)) is not None


async def arrived(smtp: SmtpServer, person: Person, count: int) -> list[Any] | None:
    found = smtp.inbox.to(address(person))
    return found if len(found) >= count else None


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    async with serving(found.handle) as url:
        found.url = url
        yield found


@asynccontextmanager
async def hook_stack_of(embedded: AppFactory, **extra: Any) -> AsyncIterator[HookStack]:
    """A stack whose webhooks may reach 127.0.0.1 (the operator's setting), with a room."""
    async with (
        embedded(webhook_allow_networks="127.0.0.1/32", **extra) as running,
        running.client() as client,
    ):
        room = await room_with_roles(client, await cast_of(client), "Board")
        # the service has heard of the admin's role (it authorizes with its replica)
        await told(client, room.admin, "role_changed")
        runtime = running.app.state.mounted["notifications"].state.runtime
        yield HookStack(client, room, runtime, running.app)


@pytest.fixture
async def hook_stack(embedded: AppFactory) -> AsyncIterator[HookStack]:
    async with hook_stack_of(embedded) as stack:
        yield stack
