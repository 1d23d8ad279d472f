from uuid import UUID

from fastapi import APIRouter, Response, status

from tasksync.common.concurrency import etag
from tasksync.common.db import DbSession
from tasksync.common.pagination import Page
from tasksync.tasks import service
from tasksync.tasks.dependencies import (
    CurrentCaller,
    Filters,
    IdempotencyKey,
    IfMatch,
    MyFilters,
    MySort,
    Paging,
    RoomReader,
    Rooms,
    RoomSort,
    TaskDep,
)
from tasksync.tasks.schemas import TaskCreate, TaskRead, TaskUpdate

router = APIRouter(prefix="/api/v1", tags=["tasks"])


def _with_etag(response: Response, task: TaskRead) -> TaskRead:
    response.headers["ETag"] = etag(task.version)
    return task


@router.post("/rooms/{room_id}/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(
    room_id: UUID,
    body: TaskCreate,
    access: RoomReader,
    session: DbSession,
    rooms: Rooms,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TaskRead:
    """Create a task in a room (members and up); send `Idempotency-Key` to retry safely."""
    task = await service.create_task(
        session, rooms, access=access, data=body, idempotency_key=idempotency_key
    )
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return _with_etag(response, task)


@router.get("/rooms/{room_id}/tasks")
async def list_room_tasks(
    room_id: UUID,
    access: RoomReader,
    session: DbSession,
    filters: Filters,
    sort: RoomSort,
    paging: Paging,
) -> Page[TaskRead]:
    """The tasks of a room, filtered and sorted, one page at a time."""
    page = await service.list_room_tasks(
        session, access=access, filters=filters, sort=sort, page=paging
    )
    return Page[TaskRead].model_validate(page, from_attributes=True)


@router.get("/tasks")
async def list_my_tasks(
    caller: CurrentCaller, session: DbSession, filters: MyFilters, sort: MySort, paging: Paging
) -> Page[TaskRead]:
    """Your tasks across every room: by default assigned to you and not completed."""
    page = await service.list_my_tasks(
        session, caller=caller, filters=filters, sort=sort, page=paging
    )
    return Page[TaskRead].model_validate(page, from_attributes=True)


@router.get("/tasks/{task_id}")
async def get_task(task_id: UUID, found: TaskDep, response: Response) -> TaskRead:
    """One task, with its `ETag`."""
    return _with_etag(response, TaskRead.model_validate(found.task))


@router.patch("/tasks/{task_id}")
async def update_task(
    task_id: UUID,
    body: TaskUpdate,
    found: TaskDep,
    session: DbSession,
    rooms: Rooms,
    response: Response,
    if_match: IfMatch = None,
) -> TaskRead:
    """Change a task (members and up); send `If-Match` with its `ETag` to avoid lost updates."""
    task = await service.update_task(
        session, rooms, task=found.task, access=found.access, changes=body, if_match=if_match
    )
    return _with_etag(response, TaskRead.model_validate(task))


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(
    task_id: UUID, found: TaskDep, session: DbSession, if_match: IfMatch = None
) -> None:
    """Delete a task: your own (members and up), or anyone's (admins and owners)."""
    await service.delete_task(session, task=found.task, access=found.access, if_match=if_match)
