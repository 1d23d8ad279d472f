"""Typed dependencies of the files routes, defined once."""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Request

from tasksync.common.auth import CurrentUser, authenticate, bearer_scheme
from tasksync.common.db import DbSession
from tasksync.common.room_roles import RoomAccess, RoomRoles
from tasksync.common.task_rooms import TaskRooms, task_access
from tasksync.files import service
from tasksync.files.models import File, room_roles
from tasksync.files.runtime import FilesRuntime


@dataclass(frozen=True, slots=True)
class FileInRoom:
    """A file the caller can see, with the caller's access to its room."""

    file: File
    access: RoomAccess


async def _runtime(request: Request) -> FilesRuntime:
    return request.app.state.runtime


Runtime = Annotated[FilesRuntime, Depends(_runtime)]


async def _task_reader(
    task_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles, task_rooms: TaskRooms
) -> RoomAccess:
    return await task_access(
        session, roles, task_rooms, task_id=task_id, caller=caller, not_found=service.NO_TASK
    )


async def _file(
    file_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles
) -> FileInRoom:
    found, access = await service.file_access(session, roles, file_id=file_id, caller=caller)
    return FileInRoom(file=found, access=access)


async def _readable_file(
    request: Request,
    file_id: UUID,
    token: Annotated[str | None, Depends(bearer_scheme)],
    session: DbSession,
    roles: RoomRoles,
    runtime: Runtime,
    expires: Annotated[int | None, Query(description="Of a signed link.")] = None,
    user: Annotated[UUID | None, Query(description="Of a signed link.")] = None,
    signature: Annotated[str | None, Query(description="Of a signed link.")] = None,
) -> File:
    """A file the caller may read: by a bearer token, or by a signed link's signature."""
    if signature is not None or expires is not None or user is not None:
        return await service.linked_file(
            session,
            room_roles,
            runtime,
            file_id=file_id,
            expires=expires or 0,
            user_id=user or UUID(int=0),
            signature=signature or "",
        )
    caller = await authenticate(request, token)
    found, _ = await service.file_access(session, roles, file_id=file_id, caller=caller)
    return found


TaskReader = Annotated[RoomAccess, Depends(_task_reader)]
FileDep = Annotated[FileInRoom, Depends(_file)]
ReadableFile = Annotated[File, Depends(_readable_file)]
