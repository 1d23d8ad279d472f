"""event tables

Revision ID: 6c104552dde9
Revises: 41e28c0572b7
Create Date: 2026-11-22 03:51:15.356567
"""

from collections.abc import Sequence

from tasksync.common import migration_ops

revision: str = "6c104552dde9"
down_revision: str | None = "41e28c0572b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    migration_ops.create_event_tables_v1()


def downgrade() -> None:
    migration_ops.drop_event_tables_v1()
