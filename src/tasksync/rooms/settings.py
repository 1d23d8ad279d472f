from tasksync.common.settings import ServiceSettings


class RoomsSettings(ServiceSettings):
    # Join attempts per user in a window (counted before the code is checked; see service.py).
    join_attempts_per_user: int = 10
    join_window_seconds: int = 900
