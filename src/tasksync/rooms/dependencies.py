"""Typed dependencies of the rooms routes, defined once.

Every dependency is `async def`, even with nothing to await: FastAPI runs a plain function in
a thread pool, and the hand-off costs more than the function.
"""

from typing import Annotated

from fastapi import Depends, Request

from tasksync.rooms.service import JoinGuard


async def _join_guard(request: Request) -> JoinGuard:
    return request.app.state.runtime


JoinLimit = Annotated[JoinGuard, Depends(_join_guard)]
