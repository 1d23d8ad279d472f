from tasksync.common.settings import ServiceSettings


class ActivitySettings(ServiceSettings):
    """The shared settings (database, Redis, events, links), and how long the audit is kept."""

    # Entries older than this are deleted by retention; a checkpoint keeps the rest verifiable.
    activity_retention_days: int = 400
    # Rows read per query by the export and by verify: what bounds their memory.
    activity_batch_size: int = 1000
