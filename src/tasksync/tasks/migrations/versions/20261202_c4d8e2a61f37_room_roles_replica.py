"""the membership replica becomes the kit's room_roles table

Revision ID: c4d8e2a61f37
Revises: 7b2e4c91d0a5
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasksync.common import migration_ops

revision: str = "c4d8e2a61f37"
down_revision: str | None = "7b2e4c91d0a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_ops.create_room_roles_table_v1()
    op.execute(
        "INSERT INTO room_roles (room_id, user_id, role) SELECT room_id, user_id, role"
        " FROM memberships"
    )
    op.drop_table("memberships")


def downgrade() -> None:
    op.create_table(
        "memberships",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"])
    op.execute(
        "INSERT INTO memberships (room_id, user_id, role) SELECT room_id, user_id, role"
        " FROM room_roles"
    )
    op.drop_table("room_role_revocations")
    op.drop_table("room_roles")
