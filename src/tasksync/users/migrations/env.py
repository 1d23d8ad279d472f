from tasksync.common.migrations import run_env
from tasksync.users.models import Base

run_env(Base.metadata)
