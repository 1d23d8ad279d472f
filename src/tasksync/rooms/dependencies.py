"""Typed dependencies of the rooms routes, defined once.

Every dependency is `async def`, even with nothing to await: FastAPI runs a plain function in
a thread pool, and the hand-off costs more than the function.
"""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from tasksync.common.auth import CurrentUser, bearer_scheme
from tasksync.common.db import DbSession
from tasksync.common.errors import Unauthorized
from tasksync.rooms import service
from tasksync.rooms.models import Membership
from tasksync.rooms.people import UserLookup
from tasksync.rooms.service import JoinGuard


async def _bearer_token(token: Annotated[str | None, Depends(bearer_scheme)]) -> str:
    """The caller's raw access token, to call other services on their behalf."""
    if not token:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    return token


async def _join_guard(request: Request) -> JoinGuard:
    return request.app.state.join_guard


async def _user_lookup(
    request: Request, token: Annotated[str, Depends(_bearer_token)]
) -> UserLookup:
    return UserLookup(request.app.state.services.client("users"), token)


async def _member(room_id: UUID, session: DbSession, principal: CurrentUser) -> Membership:
    return await service.find_membership(session, room_id=room_id, user_id=principal.id)


async def _admin(member: Annotated[Membership, Depends(_member)]) -> Membership:
    service.require_role(member, "admin")
    return member


async def _owner(member: Annotated[Membership, Depends(_member)]) -> Membership:
    service.require_role(member, "owner")
    return member


BearerToken = Annotated[str, Depends(_bearer_token)]
JoinLimit = Annotated[JoinGuard, Depends(_join_guard)]
Users = Annotated[UserLookup, Depends(_user_lookup)]
# The caller's membership of the room in the path: any role, admin or above, owner only.
RoomMember = Annotated[Membership, Depends(_member)]
RoomAdmin = Annotated[Membership, Depends(_admin)]
RoomOwner = Annotated[Membership, Depends(_owner)]
