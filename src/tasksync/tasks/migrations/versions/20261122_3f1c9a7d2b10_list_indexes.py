"""indexes for the list orders of big rooms

Revision ID: 3f1c9a7d2b10
Revises: 9c884867501d
Create Date: 2026-11-22 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3f1c9a7d2b10"
down_revision: str | None = "9c884867501d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tasks_room_id_status", table_name="tasks")
    op.create_index("ix_tasks_room_id_status_number", "tasks", ["room_id", "status", "number"])
    op.create_index("ix_tasks_room_id_position", "tasks", ["room_id", "position"])
    # An expression index (autogenerate cannot write these): the deadline sort puts tasks
    # without a deadline last, and orders by exactly this expression.
    op.execute(
        "CREATE INDEX ix_tasks_room_id_deadline ON tasks (room_id, (deadline IS NULL), deadline, id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Statistics on the searched expressions: without them PostgreSQL guesses a text
        # search matches almost nothing and scans the whole room instead of walking its index.
        op.execute("CREATE STATISTICS st_tasks_text ON lower(title), lower(description) FROM tasks")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_tasks_text")
    op.drop_index("ix_tasks_room_id_deadline", table_name="tasks")
    op.drop_index("ix_tasks_room_id_position", table_name="tasks")
    op.drop_index("ix_tasks_room_id_status_number", table_name="tasks")
    op.create_index("ix_tasks_room_id_status", "tasks", ["room_id", "status"])
