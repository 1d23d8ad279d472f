"""Who exists: the replica of the users service's accounts, with a call to users on a miss.

The replica is fed by user.* events (see events.py). A person who signed up a moment ago may
not be in it yet, so a miss asks the users service with the caller's own token and keeps
the answer.
"""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.client import ServiceClient
from tasksync.common.errors import NotFound, ServiceUnavailable
from tasksync.rooms import queries
from tasksync.rooms.models import KnownUser

USERS_PATH = "/api/v1/users"
SEARCH_LIMIT = 200


@dataclass(frozen=True, slots=True)
class UserLookup:
    """Finds accounts: the replica first, then the users service as the caller."""

    users: ServiceClient
    token: str

    async def by_id(self, session: AsyncSession, user_id: UUID) -> KnownUser:
        known = await queries.known_user(session, user_id)
        if known is not None:
            return known
        response = await self.users.get(f"{USERS_PATH}/{user_id}", token=self.token)
        if response.status == 404:
            raise NotFound("No user with that id.")
        if not response.ok:
            raise ServiceUnavailable("The users service could not say who that is.")
        return await self._remember(session, response.json())

    async def by_username(self, session: AsyncSession, username: str) -> KnownUser:
        known = await queries.known_username(session, username)
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
                return await self._remember(session, profile)
        raise NotFound(f"No user named {username!r}.")

    async def _remember(self, session: AsyncSession, profile: dict) -> KnownUser:
        user_id = UUID(str(profile["id"]))
        await queries.upsert_known_user(
            session,
            id=user_id,
            username=str(profile["username"]),
            full_name=profile.get("full_name"),
        )
        known = await session.get(KnownUser, user_id, populate_existing=True)
        assert known is not None
        return known
