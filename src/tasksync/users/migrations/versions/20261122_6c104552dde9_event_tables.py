"""event tables, the kit's v1 (Revision ID: 6c104552dde9)"""

from tasksync.common.migration_ops import create_event_tables_v1 as upgrade  # noqa: F401
from tasksync.common.migration_ops import drop_event_tables_v1 as downgrade  # noqa: F401

revision = "6c104552dde9"
down_revision = "41e28c0572b7"
