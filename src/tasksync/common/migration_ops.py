"""The kit's tables as migration steps, for services' revisions to call.

Each function is frozen history: it creates a table as it was at that version, so a revision
that calls it means the same forever. A changed kit table gets a new function (`..._v2`)
and a revision in every service that has it.
"""

import sqlalchemy as sa
from alembic import op

from tasksync.common.db import UTCDateTime

_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def create_event_tables_v1() -> None:
    """The outbox, inbox and dead letters (common/events/tables.py)."""
    op.create_table(
        "dead_letters",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("replay_requested_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_dead_letters")),
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_inbox")),
    )
    op.create_index(op.f("ix_inbox_processed_at"), "inbox", ["processed_at"])
    op.create_table(
        "outbox",
        sa.Column("seq", _SEQUENCE, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(op.f("ix_outbox_published_at"), "outbox", ["published_at"])


def drop_event_tables_v1() -> None:
    for table in ("outbox", "inbox", "dead_letters"):
        op.drop_table(table)


def create_idempotency_table_v1() -> None:
    """The answers to `Idempotency-Key` requests (common/idempotency.py)."""
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])


def create_room_roles_table_v1() -> None:
    """The replica of room roles and its tombstones (common/room_roles.py)."""
    op.create_table(
        "room_roles",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_room_roles")),
    )
    op.create_index(op.f("ix_room_roles_user_id"), "room_roles", ["user_id"])
    op.create_table(
        "room_role_revocations",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_room_role_revocations")),
    )
    op.create_index(
        op.f("ix_room_role_revocations_revoked_at"), "room_role_revocations", ["revoked_at"]
    )


def create_known_users_table_v1() -> None:
    """The replica of accounts (common/known_users.py)."""
    op.create_table(
        "known_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("username_key", sa.String(length=40), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_users")),
    )
    op.create_index(op.f("ix_known_users_username_key"), "known_users", ["username_key"])


def create_task_rooms_table_v1() -> None:
    """The replica of which room each task is in, with its tombstones (common/task_rooms.py)."""
    op.create_table(
        "task_rooms",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_rooms")),
    )
    op.create_index(op.f("ix_task_rooms_room_id"), "task_rooms", ["room_id"])
    op.create_index(op.f("ix_task_rooms_deleted_at"), "task_rooms", ["deleted_at"])


# Kit table -> the function that creates it, for the first revision of a new service.
FIRST_STEPS = {
    "outbox": "create_event_tables_v1",
    "idempotency_keys": "create_idempotency_table_v1",
    "room_roles": "create_room_roles_table_v1",
    "known_users": "create_known_users_table_v1",
    "task_rooms": "create_task_rooms_table_v1",
}
