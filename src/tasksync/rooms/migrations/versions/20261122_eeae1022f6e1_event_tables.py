"""event tables, the kit's v1 (Revision ID: eeae1022f6e1)"""

from tasksync.common.migration_ops import create_event_tables_v1 as upgrade  # noqa: F401
from tasksync.common.migration_ops import drop_event_tables_v1 as downgrade  # noqa: F401

revision = "eeae1022f6e1"
down_revision = None
