"""Who exists: a service's replica of the users service's accounts, with a call on a miss.

    known_users = KnownUsers(Base.metadata)             # models.py: the table `known_users`
    ServiceDefinition(..., known_users=known_users)     # app.py: its handlers join the service's

The replica is fed by `user.*` events. A person who signed up a moment ago may not be in it
yet, so a miss asks the users service with the caller's own token and keeps the answer.
"""

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy import Boolean, Column, MetaData, String, Table, Uuid, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import CurrentUser
from tasksync.common.client import ServiceClient
from tasksync.common.clock import utcnow
from tasksync.common.db import UTCDateTime, upsert
from tasksync.common.errors import NotFound, ServiceUnavailable
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.contracts.users import (
    UserDeactivated,
    UserDeleted,
    UserReactivated,
    UserRegistered,
    UserUpdated,
)

USERS_PATH = "/api/v1/users"
SEARCH_LIMIT = 200


@dataclass(frozen=True, slots=True)
class KnownUser:
    id: UUID
    username: str
    full_name: str | None
    is_active: bool


class KnownUsers:
    """The replica: its table, its event handlers and its reads."""

    def __init__(self, metadata: MetaData) -> None:
        self.table = Table(
            "known_users",
            metadata,
            Column("id", Uuid, primary_key=True),
            Column("username", String(40), nullable=False),
            # Lower-cased for lookups ignoring case; not unique, a replica may lag a rename.
            Column("username_key", String(40), nullable=False, index=True),
            Column("full_name", String(200), nullable=True),
            Column("is_active", Boolean, nullable=False, default=True),
            Column("updated_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
        )
        self.handlers = EventHandlers("known_users")
        self.handlers.on(UserRegistered)(self._on_profile)
        self.handlers.on(UserUpdated)(self._on_profile)
        self.handlers.on(UserDeactivated)(self._on_deactivated)
        self.handlers.on(UserReactivated)(self._on_reactivated)
        self.handlers.on(UserDeleted)(self._on_deleted)

    def _columns(self) -> tuple[Any, ...]:
        c = self.table.c
        return c.id, c.username, c.full_name, c.is_active

    async def by_id(self, session: AsyncSession, user_id: UUID) -> KnownUser | None:
        row = (
            await session.execute(select(*self._columns()).where(self.table.c.id == user_id))
        ).first()
        return None if row is None else KnownUser(*row)

    async def by_username(self, session: AsyncSession, username: str) -> KnownUser | None:
        c = self.table.c
        row = (
            await session.execute(
                select(*self._columns())
                .where(c.username_key == username.lower())
                .order_by(c.updated_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else KnownUser(*row)

    async def remember(
        self, session: AsyncSession, *, id: UUID, username: str, full_name: str | None
    ) -> None:
        """Inserts or refreshes a row; safe against a concurrent writer of the same id."""
        values = {
            "id": id,
            "username": username,
            "username_key": username.lower(),
            "full_name": full_name,
            "updated_at": utcnow(),
        }
        statement = upsert(session, self.table).values(values)
        changes = {key: statement.excluded[key] for key in values if key != "id"}
        await session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=changes))

    async def _set_active(self, session: AsyncSession, user_id: UUID, *, active: bool) -> None:
        await session.execute(
            update(self.table).where(self.table.c.id == user_id).values(is_active=active)
        )

    async def _on_profile(self, session: AsyncSession, event: Event[UserRegistered]) -> None:
        data = event.data
        await self.remember(
            session, id=data.user_id, username=data.username, full_name=data.full_name
        )

    async def _on_deactivated(self, session: AsyncSession, event: Event[UserDeactivated]) -> None:
        await self._set_active(session, event.data.user_id, active=False)

    async def _on_reactivated(self, session: AsyncSession, event: Event[UserReactivated]) -> None:
        await self._set_active(session, event.data.user_id, active=True)

    async def _on_deleted(self, session: AsyncSession, event: Event[UserDeleted]) -> None:
        await session.execute(delete(self.table).where(self.table.c.id == event.data.user_id))


@dataclass(frozen=True, slots=True)
class UserLookup:
    """Finds accounts for one caller: the replica first, then the users service."""

    replica: KnownUsers
    users: ServiceClient
    token: str

    async def by_id(self, session: AsyncSession, user_id: UUID) -> KnownUser:
        known = await self.replica.by_id(session, user_id)
        if known is not None:
            return known
        response = await self.users.get(f"{USERS_PATH}/{user_id}", token=self.token)
        if response.status == 404:
            raise NotFound("No user with that id.")
        if not response.ok:
            raise ServiceUnavailable("The users service could not say who that is.")
        return await self._keep(session, response.json())

    async def by_username(self, session: AsyncSession, username: str) -> KnownUser:
        known = await self.replica.by_username(session, username)
        if known is not None:
            return known
        response = await self.users.get(
            USERS_PATH, params={"q": username, "limit": SEARCH_LIMIT}, token=self.token
        )
        if not response.ok:
            raise ServiceUnavailable("The users service could not say who that is.")
        wanted = username.lower()
        for profile in response.json().get("items", []):
            if str(profile.get("username", "")).lower() == wanted:
                return await self._keep(session, profile)
        raise NotFound(f"No user named {username!r}.")

    async def _keep(self, session: AsyncSession, profile: dict[str, Any]) -> KnownUser:
        user_id = UUID(str(profile["id"]))
        await self.replica.remember(
            session,
            id=user_id,
            username=str(profile["username"]),
            full_name=profile.get("full_name"),
        )
        known = await self.replica.by_id(session, user_id)
        assert known is not None
        return known


async def _user_lookup(request: Request, caller: CurrentUser) -> UserLookup:
    kit = request.app.state.kit
    assert kit.known_users is not None, "the service's definition names no known_users"
    return UserLookup(kit.known_users, kit.services.client("users"), caller.token)


Users = Annotated[UserLookup, Depends(_user_lookup)]
