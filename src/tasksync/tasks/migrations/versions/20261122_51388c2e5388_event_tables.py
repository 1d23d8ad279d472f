"""event tables, the kit's v1 (Revision ID: 51388c2e5388)"""

from tasksync.common.migration_ops import create_event_tables_v1 as upgrade  # noqa: F401
from tasksync.common.migration_ops import drop_event_tables_v1 as downgrade  # noqa: F401

revision = "51388c2e5388"
down_revision = None
