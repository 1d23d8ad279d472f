"""kit tables

Revision ID: 73e01e13ef1b
Revises:
Create Date: 2026-12-03 08:12:05
"""

from collections.abc import Sequence

from alembic import op

from tasksync.common import migration_ops

revision: str = "73e01e13ef1b"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_ops.create_event_tables_v1()
    migration_ops.create_idempotency_table_v1()
    migration_ops.create_room_roles_table_v1()
    migration_ops.create_task_rooms_table_v1()


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("dead_letters")
    op.drop_table("idempotency_keys")
    op.drop_table("room_roles")
    op.drop_table("room_role_revocations")
    op.drop_table("task_rooms")
