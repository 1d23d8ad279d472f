"""summary sums per quarter hour

Filled from the read model already there (what the feed would have written).

Revision ID: 859e3d97e0e0
Revises: 4a79377355f4
Create Date: 2026-12-04 16:43:05.744674
"""

import math
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tasksync.common.db

revision: str = "859e3d97e0e0"
down_revision: str | None = "4a79377355f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_mark_slots",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "kind", "slot", name=op.f("pk_report_mark_slots")),
    )
    _fill_sums()


SLOT_SECONDS = 900


def _fill_sums() -> None:
    """Each live task's deadline while open, its completion while completed, summed per room
    and quarter hour (frozen here: the feed's rules of this revision, figures.marks)."""
    tasks = sa.table(
        "report_tasks",
        sa.column("room_id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("deadline", tasksync.common.db.UTCDateTime()),
        sa.column("completed_at", tasksync.common.db.UTCDateTime()),
        sa.column("created_at", tasksync.common.db.UTCDateTime()),
        sa.column("deleted", sa.Boolean()),
    )
    live = sa.and_(tasks.c.deleted.is_(False), tasks.c.created_at.is_not(None))
    sums: dict[tuple[object, str, int], int] = defaultdict(int)
    for row in op.get_bind().execute(sa.select(tasks).where(live)):
        if row.status in ("pending", "in_progress") and row.deadline is not None:
            sums[row.room_id, "due", math.floor(row.deadline.timestamp()) // SLOT_SECONDS] += 1
        elif row.status == "completed" and row.completed_at is not None:
            slot = math.floor(row.completed_at.timestamp()) // SLOT_SECONDS
            sums[row.room_id, "completed", slot] += 1
    rows = [{"room_id": k[0], "kind": k[1], "slot": k[2], "tasks": n} for k, n in sums.items()]
    table = sa.table(
        "report_mark_slots",
        sa.column("room_id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("slot", sa.Integer()),
        sa.column("tasks", sa.Integer()),
    )
    for start in range(0, len(rows), 5000):
        op.get_bind().execute(table.insert(), rows[start : start + 5000])


def downgrade() -> None:
    op.drop_table("report_mark_slots")
