from tasksync.common.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    """The tasks service needs only the shared settings (database, Redis, events, links)."""
