from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.clock import utcnow
from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.idempotency import add_idempotency_table
from tasksync.common.ids import uuid7
from tasksync.common.room_roles import RoomRoleReplica

Base = model_base()
event_tables = add_event_tables(Base.metadata)
idempotency_keys = add_idempotency_table(Base.metadata)
# Who may see and change a room's tasks: the kit's replica of room roles.
room_roles = RoomRoleReplica(Base.metadata)


class Task(Base):
    __tablename__ = "tasks"
    # One index per list order a board asks for, so that a page of a 100,000-task room is
    # read from an index instead of sorting the room (see docs/performance.md).
    __table_args__ = (
        UniqueConstraint("room_id", "number"),
        Index(None, "room_id", "status", "number"),
        Index(None, "room_id", "position"),
        Index("ix_tasks_room_id_deadline", "room_id", text("(deadline IS NULL)"), "deadline", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    room_id: Mapped[UUID]
    # Per-room number for people (#12), handed out by `RoomCounter`.
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    # Sorting by priority sorts by this rank (none 0 ... urgent 4), not by name.
    priority_rank: Mapped[int]
    deadline: Mapped[datetime | None]
    assignee_id: Mapped[UUID | None] = mapped_column(index=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[float]
    created_by: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]
    # The first move to in progress (kept when it moves on): reports rebuild cycle times from it.
    started_at: Mapped[datetime | None]
    # Comments under it that are not deleted (kept from the comments service's events).
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Files attached to it (kept from the files service's events).
    file_count: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column()

    # Every ORM update checks and bumps the version: a concurrent write cannot be lost.
    __mapper_args__ = {"version_id_col": version}


class RoomCounter(Base):
    """The next task number of a room: incremented in the creating transaction, so numbers
    are unique and gap-free even under concurrent creates. And the room's version: bumped in
    the transaction of every write to its tasks, so a list page cached under a version is
    never served once the room has changed (see page_cache.py)."""

    __tablename__ = "room_counters"

    room_id: Mapped[UUID] = mapped_column(primary_key=True)
    next: Mapped[int]
    version: Mapped[int] = mapped_column(server_default="0")
