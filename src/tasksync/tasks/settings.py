from tasksync.common.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    """The shared settings (database, Redis, events, links), and the list page cache."""

    # Memory for cached list pages per process (see page_cache.py); 0 turns the cache off.
    page_cache_mb: float = 8.0
