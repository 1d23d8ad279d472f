"""Event contracts: the payload models services publish. They are the only shape services share.

Importing this package registers every event type in the catalog.
"""

from tasksync.common.contracts import rooms, tasks, users

__all__ = ["rooms", "tasks", "users"]
