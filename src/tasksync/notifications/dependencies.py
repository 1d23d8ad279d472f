"""Typed dependencies of the notifications routes, defined once."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query

from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.room_roles import RoomAccess, RoomRoles
from tasksync.common.task_rooms import TaskRooms, task_access

NO_TASK = "No such task, or you are not a member of its room."


async def _task_viewer(
    task_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles, task_rooms: TaskRooms
) -> RoomAccess:
    """Anyone who can see the task (any role in its room); others get 404."""
    return await task_access(
        session, roles, task_rooms, task_id=task_id, caller=caller, not_found=NO_TASK
    )


async def _unread_only(
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
) -> bool:
    return unread


TaskViewer = Annotated[RoomAccess, Depends(_task_viewer)]
UnreadOnly = Annotated[bool, Depends(_unread_only)]
