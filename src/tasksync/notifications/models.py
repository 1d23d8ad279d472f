"""The notifications service's tables: the inbox, who watches which task, what it knows of
tasks and rooms (replicas fed by events), preferences, verified addresses, the durable mail
queue and the deadline reminders."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.clock import utcnow
from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.ids import uuid7
from tasksync.common.known_users import KnownUsers
from tasksync.common.room_roles import RoomRoleReplica
from tasksync.common.task_rooms import TaskRoomReplica

Base = model_base()
event_tables = add_event_tables(Base.metadata)
# Who is in which room (a watcher who left is told nothing more), who is who (names in the
# texts) and which room a task is in (the watch routes): the kit's replicas.
room_roles = RoomRoleReplica(Base.metadata)
known_users = KnownUsers(Base.metadata)
task_rooms = TaskRoomReplica(Base.metadata)


class Notification(Base):
    """One line of someone's inbox, written once per recipient per event."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index(None, "user_id", "id"),
        Index(None, "user_id", "read_at"),
    )

    # Time-ordered: newest first is `id` descending.
    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[UUID]
    # The event that caused it (a reminder's own id for reminders).
    event_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(40))
    room_id: Mapped[UUID | None]
    task_id: Mapped[UUID | None]
    actor_id: Mapped[UUID | None]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Shown in the inbox (a kind switched off in-app is still e-mailed, but not listed).
    in_app: Mapped[bool] = mapped_column(default=True)
    # "digest" while waiting for the recipient's next digest, then "sent"; null otherwise.
    digest: Mapped[str | None] = mapped_column(String(10), index=True)


class Watcher(Base):
    """Someone is told about a task's comments and status changes."""

    __tablename__ = "watchers"

    task_id: Mapped[UUID] = mapped_column(primary_key=True)
    user_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    # "creator", "assignee" or "self" (the watch route).
    reason: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskFacts(Base):
    """What notifications need of a task, from task events: its names, creator, assignee,
    status and deadline (the reminders follow these)."""

    __tablename__ = "task_facts"

    task_id: Mapped[UUID] = mapped_column(primary_key=True)
    room_id: Mapped[UUID] = mapped_column(index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[UUID | None]
    created_by: Mapped[UUID | None]
    deadline: Mapped[datetime | None]


class RoomName(Base):
    """A room's name, from room events, for the texts."""

    __tablename__ = "room_names"

    room_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Preferences(Base):
    """Someone's choices; a missing row means the defaults (preferences.py)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    # kind -> {"in_app": bool, "email": bool}, only the kinds changed from the defaults.
    kinds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    email_delivery: Mapped[str] = mapped_column(String(10), default="immediate")
    # When the last digest went (hourly and daily digests count from it).
    last_digest_at: Mapped[datetime | None]


class Address(Base):
    """Someone's e-mail address and whether it is verified (only verified addresses get
    anything but the verification message), from users' events."""

    __tablename__ = "addresses"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    verified: Mapped[bool] = mapped_column(default=False)


class Mail(Base):
    """One message to send: written in the transaction that decided it, sent after commit by
    the dispatcher, retried with backoff, never sent twice once marked."""

    __tablename__ = "mails"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    # The Message-ID header: stable across retries, so a receiver can drop a duplicate.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[UUID | None] = mapped_column(index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # Threading: {"In-Reply-To": ..., "References": ...}
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # It holds a single-use token (account mails): its bodies are blanked once it went.
    sensitive: Mapped[bool] = mapped_column(default=False)
    # "pending" (to send, or to retry at `next_attempt_at`), "sent" or "failed" (gave up).
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A dispatcher that took the row holds it until then (another takes it over after).
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Reminder(Base):
    """A deadline reminder armed for one task and one deadline: "soon" before it, "passed"
    after it. Sent once (`sent_at`); moving the deadline arms new rows, completing the task
    or unassigning it removes the unsent ones."""

    __tablename__ = "reminders"
    __table_args__ = (Index(None, "sent_at", "due_at"),)

    task_id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    deadline: Mapped[datetime] = mapped_column(primary_key=True)
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ParkedEvent(Base):
    """A comment event that arrived before its task's `task.created` (the two come from
    different producers, in no set order): it waits here until the task is known, or until
    `parked_seconds` have passed, and is then handled."""

    __tablename__ = "parked_events"

    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    task_id: Mapped[UUID] = mapped_column(index=True)
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    parked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Webhook(Base):
    """A room's outgoing webhook: where its events are POSTed, signed with its secret."""

    __tablename__ = "webhooks"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    room_id: Mapped[UUID] = mapped_column(index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Event types, or families like "task.*".
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation, deliveries are signed with both secrets until then.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None]
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set at the first failure of a run of failures; cleared by a success.
    failing_since: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    # Its room was deleted: `room.deleted` was its last event; removed once it is sent.
    room_deleted_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one webhook: written in the transaction that consumed the event, sent
    after commit by the dispatcher, retried with backoff. Its id is the `webhook-id` header,
    the same on every attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "webhook_id", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    webhook_id: Mapped[UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[UUID]
    event_type: Mapped[str] = mapped_column(String(100))
    # The exact body sent (and signed), the same on every attempt.
    payload: Mapped[str] = mapped_column(Text)
    # "pending", "succeeded", "failed" (a final 4xx) or "dead" (gave up retrying).
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookAttempt(Base):
    """One try of a delivery, for the log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "delivery_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    delivery_id: Mapped[UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    # The first bytes of the answer.
    response_head: Mapped[str | None] = mapped_column(Text)
