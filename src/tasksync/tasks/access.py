"""Who may do what with tasks: room roles from the membership replica.

The replica is fed by the rooms service's member.* events (see events.py). On a miss the
rooms service is asked directly, with the caller's own token, and a positive answer is kept:
a member who has just joined is never refused. Nothing negative is cached, so access also
starts as soon as rooms knows; it ends when the member.removed event lands.
"""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.client import ServiceClient
from tasksync.common.db import upsert
from tasksync.common.errors import Forbidden, NotFound, ServiceUnavailable
from tasksync.tasks.models import Membership

ROLE_RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}


@dataclass(frozen=True, slots=True)
class Caller:
    """The signed-in caller and the bearer token it came with (for calls to rooms)."""

    id: UUID
    token: str


@dataclass(frozen=True, slots=True)
class RoomAccess:
    """The caller's role in one room."""

    room_id: UUID
    caller: Caller
    role: str

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def require(self, role: str, action: str) -> None:
        if not self.at_least(role):
            raise Forbidden(f"Your role in this room ({self.role}) does not allow you to {action}.")


class RoomsDirectory:
    """Asks the rooms service about one membership."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def role(self, *, room_id: UUID, user_id: UUID, token: str) -> str | None:
        response = await self.client.get(f"/api/v1/rooms/{room_id}/members/{user_id}", token=token)
        if response.status == 200:
            role = response.json().get("role")
            return role if role in ROLE_RANK else None
        if response.status == 404:
            return None
        raise ServiceUnavailable("The rooms service could not confirm a room membership.")


async def store_role(session: AsyncSession, *, room_id: UUID, user_id: UUID, role: str) -> None:
    """Sets a replica row (events are the authority: they overwrite)."""
    statement = upsert(session, Membership).values(room_id=room_id, user_id=user_id, role=role)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Membership.room_id, Membership.user_id], set_={"role": role}
        )
    )


async def _remember(session: AsyncSession, *, room_id: UUID, user_id: UUID, role: str) -> None:
    """Keeps what rooms answered on a miss, unless an event wrote the row meanwhile."""
    statement = upsert(session, Membership).values(room_id=room_id, user_id=user_id, role=role)
    await session.execute(statement.on_conflict_do_nothing())


async def role_in_room(
    session: AsyncSession, rooms: RoomsDirectory, *, room_id: UUID, user_id: UUID, token: str
) -> str | None:
    """The user's role in the room, or None when not a member."""
    role = await session.scalar(
        select(Membership.role).where(Membership.room_id == room_id, Membership.user_id == user_id)
    )
    if role is not None:
        return role
    role = await rooms.role(room_id=room_id, user_id=user_id, token=token)
    if role is not None:
        await _remember(session, room_id=room_id, user_id=user_id, role=role)
    return role


async def room_access(
    session: AsyncSession, rooms: RoomsDirectory, *, room_id: UUID, caller: Caller
) -> RoomAccess:
    """The caller's access to a room; outsiders get 404, never a hint the room exists."""
    role = await role_in_room(
        session, rooms, room_id=room_id, user_id=caller.id, token=caller.token
    )
    if role is None:
        raise NotFound("No such room, or you are not a member of it.")
    return RoomAccess(room_id=room_id, caller=caller, role=role)
