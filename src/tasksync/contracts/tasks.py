from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from tasksync.contracts.events import EventData, event_type


class Status(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    completed = "completed"


class Priority(StrEnum):
    none = "none"
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"


# Sorting by priority sorts by rank (none 0 ... urgent 4), not by name.
PRIORITY_RANK = {priority: rank for rank, priority in enumerate(Priority)}


@event_type("task.created", producer="tasks")
class TaskCreated(EventData):
    """A task was created in a room."""

    task_id: UUID
    room_id: UUID
    number: int
    title: str
    status: str
    priority: str
    assignee_id: UUID | None
    deadline: datetime | None
    created_by: UUID


@event_type("task.updated", producer="tasks", version=2)
class TaskUpdated(EventData):
    """A task changed; `changes` maps each changed field to its new value and `previous` (since
    version 2) to its old one. A version 1 event, still in flight, has no `previous`."""

    task_id: UUID
    room_id: UUID
    number: int
    version: int
    changes: dict[str, Any]
    previous: dict[str, Any] = {}


@event_type("task.deleted", producer="tasks")
class TaskDeleted(EventData):
    """A task was deleted (by someone, or because its room was)."""

    task_id: UUID
    room_id: UUID
    number: int


EVENTS = (TaskCreated, TaskUpdated, TaskDeleted)
