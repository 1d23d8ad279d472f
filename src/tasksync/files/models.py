from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.clock import utcnow
from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.idempotency import add_idempotency_table
from tasksync.common.ids import uuid7
from tasksync.common.room_roles import RoomRoleReplica
from tasksync.common.task_rooms import TaskRoomReplica

Base = model_base()
event_tables = add_event_tables(Base.metadata)
idempotency_keys = add_idempotency_table(Base.metadata)
# Who may see and attach files in a room, and which room each task is in: the kit's replicas.
room_roles = RoomRoleReplica(Base.metadata)
task_rooms = TaskRoomReplica(Base.metadata)


class File(Base):
    """An attachment of a task: its metadata here, its bytes in the store under `blob_key`."""

    __tablename__ = "files"
    __table_args__ = (Index(None, "task_id", "created_at", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    task_id: Mapped[UUID]
    room_id: Mapped[UUID] = mapped_column(index=True)
    # The name it was uploaded with, cleaned: shown, never used as a path.
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    # Detected from the bytes.
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    blob_key: Mapped[str] = mapped_column(String(100), unique=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(100))
    # Null once the uploader's account is deleted.
    uploaded_by: Mapped[UUID | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomUsage(Base):
    """The bytes a room's files take, checked against the quota in one conditional update."""

    __tablename__ = "room_usage"

    room_id: Mapped[UUID] = mapped_column(primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class DoomedBlob(Base):
    """A blob whose row is gone, to be removed from the store; kept until the store confirms,
    so a store that is down delays a deletion and never loses track of it."""

    __tablename__ = "doomed_blobs"

    blob_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SigningKey(Base):
    """The secret that signs download links, made at first start; never leaves the database."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
