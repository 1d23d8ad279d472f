from tasksync.common.migrations import run_env
from tasksync.rooms.models import Base

run_env(Base.metadata)
