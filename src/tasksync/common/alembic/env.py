"""The one Alembic environment of every service: it migrates the metadata and over the
connection that `tasksync.common.migrations` hands it (see that module)."""

from tasksync.common.migrations import run_env

run_env()
