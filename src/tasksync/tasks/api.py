from uuid import UUID

from fastapi import APIRouter, Response, status

from tasksync.common.concurrency import etag
from tasksync.common.db import DbSession
from tasksync.common.pagination import Page
from tasksync.common.responses import json_response
from tasksync.tasks import reads, service
from tasksync.tasks.dependencies import (
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
    TaskReader,
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


# The reads answer plain rows with orjson; `response_model` still documents their shape.


@router.get("/rooms/{room_id}/tasks", response_model=Page[TaskRead])
async def list_room_tasks(
    room_id: UUID, reader: TaskReader, filters: Filters, sort: RoomSort, paging: Paging
) -> Response:
    """The tasks of a room, filtered and sorted, one page at a time."""
    page = await reads.room_page(reader, room_id=room_id, filters=filters, sort=sort, page=paging)
    return json_response(page)


@router.get("/tasks", response_model=Page[TaskRead])
async def list_my_tasks(
    reader: TaskReader, filters: MyFilters, sort: MySort, paging: Paging
) -> Response:
    """Your tasks across every room: by default assigned to you and not completed."""
    page = await reads.my_page(reader, filters=filters, sort=sort, page=paging)
    return json_response({"items": page.items, "next_cursor": page.next_cursor})


@router.get("/tasks/{task_id}", response_model=TaskRead)
async def get_task(task_id: UUID, reader: TaskReader) -> Response:
    """One task, with its `ETag`."""
    task = await reads.task(reader, task_id=task_id)
    return json_response(task, headers={"ETag": etag(task["version"])})


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
