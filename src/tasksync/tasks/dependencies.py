"""Typed dependencies of the tasks routes, defined once.

Every dependency is `async def`, even with nothing to await: FastAPI runs a plain function in
a thread pool, and the hand-off costs more than the function.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Request

from tasksync.common.auth import CurrentUser, authenticate, bearer_scheme
from tasksync.common.db import DbSession
from tasksync.common.room_roles import RoomAccess, RoomRoles
from tasksync.common.schemas import Moment, Text
from tasksync.contracts.tasks import Priority, Status
from tasksync.tasks import service
from tasksync.tasks.models import Task
from tasksync.tasks.queries import ASSIGNEE_PATTERN, NAMED_ASSIGNEES, SORT_PATTERN, Sort, TaskFilter
from tasksync.tasks.reads import Reader
from tasksync.tasks.schemas import StatusIn


@dataclass(frozen=True, slots=True)
class TaskInRoom:
    """A task the caller can see, with the caller's access to its room."""

    task: Task
    access: RoomAccess


async def _reader(request: Request, token: Annotated[str | None, Depends(bearer_scheme)]) -> Reader:
    """Everything a read needs, as one dependency: each one more costs a read some 20 us."""
    kit = request.app.state.kit
    return Reader(
        caller=await authenticate(request, token),
        db=kit.db,
        roles=kit.room_roles,
        pages=request.app.state.runtime,
    )


TaskReader = Annotated[Reader, Depends(_reader)]


async def _task(
    task_id: UUID, caller: CurrentUser, session: DbSession, roles: RoomRoles
) -> TaskInRoom:
    task, access = await service.task_access(session, roles, task_id=task_id, caller=caller)
    return TaskInRoom(task=task, access=access)


async def _filters(
    status: Annotated[list[StatusIn] | None, Query(description="repeat for several")] = None,
    assignee: Annotated[
        str | None, Query(pattern=ASSIGNEE_PATTERN, description="`me`, `none`, `any` or a user id")
    ] = None,
    label: Annotated[Text | None, Query(min_length=1, max_length=40)] = None,
    priority: Annotated[list[Priority] | None, Query(description="repeat for several")] = None,
    due_before: Annotated[Moment | None, Query()] = None,
    due_after: Annotated[Moment | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
    q: Annotated[Text | None, Query(min_length=1, max_length=200)] = None,
    # Task numbers are 32-bit integers in the database: a larger one is refused, not a 500.
    number: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="the task numbered `#N`")
    ] = None,
) -> TaskFilter:
    return TaskFilter(
        statuses=tuple(status or ()),
        assignee=assignee if assignee is None or assignee in NAMED_ASSIGNEES else UUID(assignee),
        label=label,
        priorities=tuple(priority or ()),
        due_before=due_before,
        due_after=due_after,
        overdue=overdue,
        q=q,
        number=number,
    )


async def _my_filters(filters: Annotated[TaskFilter, Depends(_filters)]) -> TaskFilter:
    """The caller's tasks: assigned to them and not completed, unless asked otherwise."""
    if not filters.statuses:
        filters = replace(filters, statuses=(Status.pending, Status.in_progress))
    if filters.assignee is None:
        filters = replace(filters, assignee="me")
    return filters


def _sort(default: str) -> Callable[[str], Awaitable[Sort]]:
    async def parse(
        sort: Annotated[
            str,
            Query(
                pattern=SORT_PATTERN,
                description="position, number, priority, created_at, updated_at or deadline; "
                "`-field` for descending",
            ),
        ] = default,
    ) -> Sort:
        return Sort.parse(sort)

    return parse


TaskDep = Annotated[TaskInRoom, Depends(_task)]
Filters = Annotated[TaskFilter, Depends(_filters)]
MyFilters = Annotated[TaskFilter, Depends(_my_filters)]
RoomSort = Annotated[Sort, Depends(_sort("number"))]
MySort = Annotated[Sort, Depends(_sort("deadline"))]
