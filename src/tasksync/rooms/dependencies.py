"""Typed dependencies of the rooms routes, defined once.

Every dependency is `async def`, even with nothing to await: FastAPI runs a plain function in
a thread pool, and the hand-off costs more than the function.
"""

from typing import Annotated

from fastapi import Depends, Request

from tasksync.common import registry
from tasksync.common.auth import CurrentUser
from tasksync.common.room_roles import RoomRoleRevoker
from tasksync.rooms.service import JoinGuard


async def _join_guard(request: Request) -> JoinGuard:
    return request.app.state.runtime


async def _revoker(request: Request, caller: CurrentUser) -> RoomRoleRevoker:
    """Tells the services that keep room roles about access taken away, as the caller."""
    services = request.app.state.kit.services
    return RoomRoleRevoker(services, registry.keepers("room_roles"), caller.token)


JoinLimit = Annotated[JoinGuard, Depends(_join_guard)]
Revoker = Annotated[RoomRoleRevoker, Depends(_revoker)]
