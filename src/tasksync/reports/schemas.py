"""Request bodies and replies of the reports service."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from tasksync.common.schemas import Input


class AssigneeCount(BaseModel):
    assignee_id: UUID | None
    tasks: int


class SummaryRead(BaseModel):
    """A room now: counts by status, priority and assignee; open, overdue, due this week;
    completed this week and last week (weeks start on Monday in `tz`)."""

    as_of: datetime
    week_start: date
    by_status: dict[str, int]
    by_priority: dict[str, int]
    by_assignee: list[AssigneeCount]
    total: int
    open: int
    overdue: int
    due_this_week: int
    completed_this_week: int
    completed_last_week: int


class FlowDay(BaseModel):
    """How many tasks were in each status at the end of `date`."""

    date: date
    pending: int
    in_progress: int
    completed: int


class FlowRead(BaseModel):
    days: list[FlowDay]


class BurndownDay(BaseModel):
    date: date
    open: int
    added: int = Field(description="tasks created that day (still in the room)")
    ideal: float


class BurndownRead(BaseModel):
    days: list[BurndownDay]


class WeekCount(BaseModel):
    week_start: date
    completed: int


class ThroughputRead(BaseModel):
    weeks: list[WeekCount]


class Bucket(BaseModel):
    bucket: str
    tasks: int


class FlowTimeRead(BaseModel):
    """Percentiles (nearest rank, in hours) and a histogram (in days) of the tasks completed
    in the range; null percentiles when none was."""

    tasks: int
    p50_hours: float | None
    p85_hours: float | None
    p95_hours: float | None
    histogram: list[Bucket]


class AssigneeLoad(BaseModel):
    assignee_id: UUID | None
    open: int
    overdue: int


class WorkloadRead(BaseModel):
    assignees: list[AssigneeLoad]


class MyFigures(BaseModel):
    open: int
    overdue: int
    due_this_week: int
    completed_this_week: int
    completed_last_week: int


class MyRoom(BaseModel):
    room_id: UUID
    open: int
    overdue: int
    mine_open: int
    mine_overdue: int


class DashboardRead(BaseModel):
    """Your tasks across your rooms, and each room's open and overdue ones."""

    as_of: datetime
    week_start: date
    mine: MyFigures
    rooms: list[MyRoom]


class ExportCreate(Input):
    """What to export: `tasks` (each task's facts), `activity` (every status change of the
    room's tasks) or `flow` (the cumulative flow per day), as CSV or XLSX. `from`, `to` and
    `tz` choose the days of a flow export."""

    kind: Literal["tasks", "activity", "flow"]
    format: Literal["csv", "xlsx"]
    tz: str = Field("UTC", max_length=64)
    first: date | None = Field(None, alias="from")
    last: date | None = Field(None, alias="to")


class ExportRead(BaseModel):
    id: UUID
    kind: str
    format: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    error: str | None
    download_url: str | None
