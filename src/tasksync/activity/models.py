"""The audit trail: append-only entries in one hash chain, its head, the checkpoints that
retention leaves, and the labels (usernames, room names, task titles) entries are written
with."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.room_roles import RoomRoleReplica

Base = model_base()
event_tables = add_event_tables(Base.metadata)
# Who may see a room's feed and its tasks' history: the kit's replica of room roles.
room_roles = RoomRoleReplica(Base.metadata)

Seq = BigInteger().with_variant(Integer(), "sqlite")


class Entry(Base):
    """One event, as people read it. Never updated; deleted only by retention."""

    __tablename__ = "activity_entries"
    __table_args__ = (
        Index(None, "room_id", "seq"),
        Index(None, "subject_id", "seq"),
        Index(None, "actor_id", "seq"),
    )

    # The event's id: a redelivered event finds its entry already there.
    id: Mapped[UUID] = mapped_column(primary_key=True)
    # Position in the chain: commit order, without gaps.
    seq: Mapped[int] = mapped_column(Seq, unique=True)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[UUID | None]
    actor_label: Mapped[str | None] = mapped_column(String(200))
    room_id: Mapped[UUID | None]
    type: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[UUID | None]
    subject_label: Mapped[str | None] = mapped_column(String(300))
    # For updates: [{"field", "old", "new"}]; "old" is missing when the event did not say.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    # SHA-256 of the previous entry's hash and this entry's canonical JSON (chain.py).
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The one row holding the chain's last position and hash. Appending locks it, so entries
    get their positions in commit order whatever the number of consumers."""

    __tablename__ = "activity_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Seq)
    hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """Where retention cut the chain: the position and hash of the last deleted entry, from
    which the remaining entries are verified."""

    __tablename__ = "activity_checkpoints"

    seq: Mapped[int] = mapped_column(Seq, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    entries_deleted: Mapped[int]
    cut_at: Mapped[datetime]


class Label(Base):
    """The name people know a user, a room or a task by, kept current from events."""

    __tablename__ = "activity_labels"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(300))
