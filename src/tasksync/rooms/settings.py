from tasksync.common.settings import ServiceSettings


class RoomsSettings(ServiceSettings):
    pass
