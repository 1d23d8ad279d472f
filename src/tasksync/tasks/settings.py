from tasksync.common.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    pass
