"""a version per room, bumped by every write to its tasks (cached list pages key on it)

Revision ID: 7b2e4c91d0a5
Revises: 3f1c9a7d2b10
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b2e4c91d0a5"
down_revision: str | None = "3f1c9a7d2b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("room_counters") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("room_counters") as batch:
        batch.drop_column("version")
