"""kit tables

Revision ID: ee616353a209
Revises:
Create Date: 2026-12-03 14:10:47
"""

from collections.abc import Sequence

from alembic import op

from tasksync.common import migration_ops

revision: str = "ee616353a209"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_ops.create_event_tables_v1()
    migration_ops.create_room_roles_table_v1()
    migration_ops.create_known_users_table_v1()
    migration_ops.create_task_rooms_table_v1()


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("dead_letters")
    op.drop_table("room_roles")
    op.drop_table("room_role_revocations")
    op.drop_table("known_users")
    op.drop_table("task_rooms")
