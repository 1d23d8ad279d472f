from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from tasksync.common.concurrency import IfMatch, etag
from tasksync.common.db import DbSession
from tasksync.common.health import InternalCaller
from tasksync.common.idempotency import IdempotentWrite
from tasksync.common.pagination import Page, Paging
from tasksync.common.responses import json_response
from tasksync.common.room_roles import RoomMember, RoomRoles
from tasksync.tasks import queries, reads, service
from tasksync.tasks.dependencies import (
    Filters,
    MyFilters,
    MySort,
    RoomSort,
    TaskDep,
    TaskReader,
)
from tasksync.tasks.schemas import TaskCounts, TaskCreate, TaskRead, TaskUpdate

router = APIRouter(prefix="/api/v1", tags=["tasks"])
# Served to other services only (the gateway routes no `/internal/` path).
internal = APIRouter(include_in_schema=False)


def _with_etag(response: Response, task: TaskRead) -> TaskRead:
    response.headers["ETag"] = etag(task.version)
    return task


@router.post("/rooms/{room_id}/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(
    room_id: UUID,
    body: TaskCreate,
    access: RoomMember,
    session: DbSession,
    roles: RoomRoles,
    idempotency: IdempotentWrite,
    response: Response,
) -> TaskRead:
    """Create a task in a room (members and up); send `Idempotency-Key` to retry safely."""

    async def create() -> TaskRead:
        created = await service.create_task(session, roles, access=access, data=body)
        return TaskRead.model_validate(created)

    task = await idempotency.run(session, ("create-task", room_id, body), create, schema=TaskRead)
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


@router.get("/rooms/{room_id}/tasks/counts", response_model=TaskCounts)
async def count_room_tasks(room_id: UUID, reader: TaskReader, filters: Filters) -> Response:
    """How many of the room's tasks pass the filters, per status (a board's column counts)."""
    return json_response(await reads.room_counts(reader, room_id=room_id, filters=filters))


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
    roles: RoomRoles,
    response: Response,
    if_match: IfMatch = None,
) -> TaskRead:
    """Change a task (members and up); send `If-Match` with its `ETag` to avoid lost updates."""
    task = await service.update_task(
        session, roles, task=found.task, access=found.access, changes=body, if_match=if_match
    )
    return _with_etag(response, TaskRead.model_validate(task))


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(
    task_id: UUID, found: TaskDep, session: DbSession, if_match: IfMatch = None
) -> None:
    """Delete a task: your own (members and up), or anyone's (admins and owners)."""
    await service.delete_task(session, task=found.task, access=found.access, if_match=if_match)


@internal.get("/internal/tasks/snapshot")
async def task_snapshot(
    _: InternalCaller,
    session: DbSession,
    after: Annotated[UUID | None, Query(description="the last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Response:
    """Every task's facts by id, a page at a time, for a read model's rebuild (reports)."""
    rows = await queries.snapshot(session, after=after, limit=limit)
    items = [dict(row._mapping) for row in rows]
    return json_response({"items": items, "next": items[-1]["id"] if len(items) == limit else None})
