"""event tables

Revision ID: 51388c2e5388
Revises:
Create Date: 2026-11-22 04:28:44.542968
"""

from collections.abc import Sequence

from tasksync.common import migration_ops

revision: str = "51388c2e5388"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_ops.create_event_tables_v1()


def downgrade() -> None:
    migration_ops.drop_event_tables_v1()
