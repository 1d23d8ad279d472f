"""The read model of the reports service, fed by task events: each task's current facts and
every status transition with its time, plus the export jobs.

Events may arrive twice (the inbox drops the second) or out of order: each fact keeps the
task version that set it (`versions`), so an older change never overwrites a newer one, and
transitions are a set of (time, status) from which any day's status is read, whatever the
order they came in.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.room_roles import RoomRoleReplica

NOBODY = UUID(int=0)
Base = model_base()
event_tables = add_event_tables(Base.metadata)
# Who may read a room's reports: the kit's replica of room roles.
room_roles = RoomRoleReplica(Base.metadata)


# queries._live's conditions, as each database's SQL writes them (SQLite has no false).
LIVE: dict[str, Any] = {
    "postgresql_where": text("deleted IS false AND created_at IS NOT NULL"),
    "sqlite_where": text("deleted IS 0 AND created_at IS NOT NULL"),
}


class ReportTask(Base):
    """A task's current facts. A row made by an update that overtook its `task.created` has
    no `created_at` yet and is left out of every report until the creation arrives."""

    __tablename__ = "report_tasks"
    __table_args__ = (
        Index(None, "room_id", "status"),
        Index(None, "assignee_id", "status"),
        # What the summary and the dashboard count by time (overdue, due, completed), on
        # the tasks in the reports alone (LIVE: the queries' own conditions, word for word).
        Index("ix_report_tasks_live_deadline", "room_id", "deadline", "status", **LIVE),
        Index("ix_report_tasks_live_completed", "room_id", "completed_at", **LIVE),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    room_id: Mapped[UUID]
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    priority: Mapped[str] = mapped_column(String(10), default="none")
    assignee_id: Mapped[UUID | None]
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    deadline: Mapped[datetime | None]
    created_at: Mapped[datetime | None]
    # First move to in progress, and the last completion while completed (None otherwise):
    # both derived from the transitions.
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Field name -> the task version that set it (1 for `task.created`).
    versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A deleted task leaves every report; the row stays so late events cannot revive it.
    deleted: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class Transition(Base):
    """The task entered `status` at `at` (its creation is the first)."""

    __tablename__ = "report_transitions"
    __table_args__ = (Index(None, "room_id", "at"),)

    task_id: Mapped[UUID] = mapped_column(primary_key=True)
    # The task version of the change (1 for the creation): orders two moves at one instant.
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    room_id: Mapped[UUID]
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class FlowSlot(Base):
    """The cumulative flow's sums, kept by the feed in the event's transaction: how many of
    the room's tasks entered (positive) or left (negative) `status` during the quarter hour
    `slot` (figures.slot_of). A day's counts are the sums of the slots before its end."""

    __tablename__ = "report_flow_slots"

    room_id: Mapped[UUID] = mapped_column(primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    delta: Mapped[int]


class MarkSlot(Base):
    """The summary's sums, kept by the feed in the event's transaction: how many of the
    room's open tasks have their deadline (`kind` due), and how many completed tasks their
    last completion (`kind` completed), in the quarter hour `slot` (figures.marks). A week's
    completions or deadlines are the sums of its slots."""

    __tablename__ = "report_mark_slots"

    room_id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tasks: Mapped[int]


class TaskCount(Base):
    """How many of the room's tasks (in the reports) have this status, priority and assignee
    (NOBODY: none), kept by the feed in the event's transaction: the summary's counts."""

    __tablename__ = "report_counts"

    room_id: Mapped[UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    priority: Mapped[str] = mapped_column(String(10), primary_key=True)
    assignee_id: Mapped[UUID] = mapped_column(primary_key=True)
    tasks: Mapped[int]


class ExportJob(Base):
    """An export asked for by a member: queued, running (under a lease), done (with its file
    until it expires) or failed. At most one queued or running per member per room."""

    __tablename__ = "report_exports"
    __table_args__ = (
        Index(
            "uq_report_exports_one_active",
            "room_id",
            "requested_by",
            unique=True,
            postgresql_where=text("state IN ('queued', 'running')"),
            sqlite_where=text("state IN ('queued', 'running')"),
        ),
        Index(None, "state", "lease_until"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    room_id: Mapped[UUID]
    requested_by: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    # The report's options: tz, from, to.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    filename: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
