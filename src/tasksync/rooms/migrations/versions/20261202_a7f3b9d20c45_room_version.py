"""rooms carry a version: their ETag, checked by If-Match

Revision ID: a7f3b9d20c45
Revises: 9e24f1c10878
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7f3b9d20c45"
down_revision: str | None = "9e24f1c10878"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("version")
