from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tasksync.common.clock import utcnow
from tasksync.common.contracts.rooms import Role
from tasksync.common.db import UTCDateTime, new_metadata
from tasksync.common.events.tables import add_event_tables
from tasksync.common.ids import uuid7


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {datetime: UTCDateTime}


event_tables = add_event_tables(Base.metadata)


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    # The 9-character join code; the unique constraint backs the retry on collision.
    code: Mapped[str] = mapped_column(String(9), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Membership(Base):
    """A person's place in a room. `joined_at` orders succession when the owner leaves."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_room_id_joined_at", "room_id", "joined_at"),)

    room_id: Mapped[UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    role: Mapped[Role] = mapped_column(String(10))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnownUser(Base):
    """Replica of the users service's accounts (fed by user.* events, filled on a miss by a
    call to users), so members can be added by id or username."""

    __tablename__ = "known_users"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    # Lower-cased for case-insensitive lookups; not unique, since a replica may lag a rename.
    username_key: Mapped[str] = mapped_column(String(40), index=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
