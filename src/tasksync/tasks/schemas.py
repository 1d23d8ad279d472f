"""Request and response models of the tasks service."""

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from tasksync.common.schemas import Input, Moment, NotBlank
from tasksync.contracts.tasks import Priority, Status

MAX_LABELS = 20
MAX_DESCRIPTION = 20_000
# Labels are short tags: no quotes, backslashes, commas or control characters, so that a
# label filter can match inside the stored JSON list on every database.
LABEL_PATTERN = re.compile(r'^[^"\\,\x00-\x1f\x7f]{1,40}$')


def _status_alias(value: Any) -> Any:
    """`in progress` (as people write it) is accepted for `in_progress`."""
    return "in_progress" if value == "in progress" else value


def _null_is_empty(value: Any) -> Any:
    return "" if value is None else value


def _unique(labels: list[str]) -> list[str]:
    return list(dict.fromkeys(labels))


StatusIn = Annotated[Status, BeforeValidator(_status_alias)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=LABEL_PATTERN.pattern),
    NotBlank,
]
Labels = Annotated[list[Label], Field(max_length=MAX_LABELS), AfterValidator(_unique)]
Position = Annotated[float, Field(allow_inf_nan=False, strict=True)]


class TaskCreate(Input):
    title: Title
    description: Description = ""
    status: StatusIn = Status.pending
    priority: Priority = Priority.none
    deadline: Moment | None = None
    assignee_id: UUID | None = None
    labels: Labels = []
    # Order within a status column; by default a new task goes to the bottom.
    position: Position | None = None


class TaskUpdate(Input):
    """Only the fields sent change; `null` clears `deadline`, `assignee_id` or `description`."""

    title: Title | None = None
    description: Annotated[Description, BeforeValidator(_null_is_empty)] = ""
    status: StatusIn | None = None
    priority: Priority | None = None
    deadline: Moment | None = None
    assignee_id: UUID | None = None
    labels: Labels | None = None
    position: Position | None = None

    @field_validator("title", "status", "priority", "labels", "position")
    @classmethod
    def _not_cleared(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    room_id: UUID
    number: int
    title: str
    description: str
    status: Status
    priority: Priority
    deadline: datetime | None
    assignee_id: UUID | None
    labels: list[str]
    position: float
    created_by: UUID
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    comment_count: int
    file_count: int
    version: int


class TaskCounts(BaseModel):
    """Tasks per status (the filters of a list apply)."""

    pending: int
    in_progress: int
    completed: int
