from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.clock import utcnow
from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.ids import uuid7
from tasksync.common.known_users import KnownUsers
from tasksync.contracts.roles import Role

Base = model_base()
event_tables = add_event_tables(Base.metadata)
known_users = KnownUsers(Base.metadata)


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    # The 9-character join code; the unique constraint backs the retry on collision.
    code: Mapped[str] = mapped_column(String(9), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(server_default="1")

    # Every ORM update checks and bumps the version (the room's ETag).
    __mapper_args__ = {"version_id_col": version}


class Membership(Base):
    """A person's place in a room. `joined_at` orders succession when the owner leaves."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_room_id_joined_at", "room_id", "joined_at"),)
    # A removal may race the cascade of the account's deletion, which deletes the same row:
    # either way the member is gone, so a row already deleted is not an error.
    __mapper_args__ = {"confirm_deleted_rows": False}

    room_id: Mapped[UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    role: Mapped[Role] = mapped_column(String(10))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
