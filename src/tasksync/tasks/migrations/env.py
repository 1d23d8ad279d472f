from tasksync.common.migrations import run_env
from tasksync.tasks.models import Base

run_env(Base.metadata)
