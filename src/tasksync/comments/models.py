from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.clock import utcnow
from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.idempotency import add_idempotency_table
from tasksync.common.ids import uuid7
from tasksync.common.known_users import KnownUsers
from tasksync.common.room_roles import RoomRoleReplica
from tasksync.common.task_rooms import TaskRoomReplica

Base = model_base()
event_tables = add_event_tables(Base.metadata)
idempotency_keys = add_idempotency_table(Base.metadata)
# Who may read and write a room's discussions, who is who (mentions, authors), and which
# room each task is in: the kit's replicas.
room_roles = RoomRoleReplica(Base.metadata)
known_users = KnownUsers(Base.metadata)
task_rooms = TaskRoomReplica(Base.metadata)


class Comment(Base):
    """A comment under a task, or a reply to one (one level deep). A deleted comment stays
    as a tombstone, without its body, so that its thread keeps its shape."""

    __tablename__ = "comments"
    __table_args__ = (Index(None, "task_id", "created_at", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    task_id: Mapped[UUID]
    room_id: Mapped[UUID] = mapped_column(index=True)
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # Null once the author's account is deleted.
    author_id: Mapped[UUID | None] = mapped_column(index=True)
    # The Markdown source and its sanitised HTML, rendered once when written; both null
    # once the comment is deleted.
    body: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # The members it mentions (so that an edit announces only the newly mentioned).
    mentioned_user_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column()

    # Every ORM update checks and bumps the version: a concurrent edit cannot be lost.
    __mapper_args__ = {"version_id_col": version}


class CommentRevision(Base):
    """An earlier body of a comment, from `written_at` until the edit that replaced it."""

    __tablename__ = "comment_revisions"
    __table_args__ = (Index(None, "comment_id", "written_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    comment_id: Mapped[UUID] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]


class Reaction(Base):
    """One person's reaction with one emoji to one comment."""

    __tablename__ = "reactions"

    comment_id: Mapped[UUID] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    emoji: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
