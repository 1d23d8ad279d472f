"""The preloaded parent of `tasksync up --distributed`'s service processes.

Every service process imports the same libraries (FastAPI, pydantic, SQLAlchemy, asyncpg,
redis-py, uvicorn, the kit): about 100 MB each, over a second of CPU each at start. The
supervisor starts one forkserver that imports this module once; each service process is
forked from it, so those pages are shared between all of them (copy-on-write) and a service
starts by building its app, not by importing. Kubernetes and Compose run `tasksync serve`
in a container per service instead: each keeps its own copy (docs/operations.md).
"""

import asyncio
import gc
import os

# The libraries every service imports (cli/serve.py's path, less the service's own modules).
import aiohttp  # noqa: F401
import asyncpg  # noqa: F401
import jwt  # noqa: F401
import redis.asyncio  # noqa: F401
import sqlalchemy.ext.asyncio  # noqa: F401
import structlog  # noqa: F401
import uvicorn  # noqa: F401

import tasksync.cli.serve
import tasksync.cli.server
import tasksync.common.kit
import tasksync.stack

# What is imported now stays for the life of every child: out of the garbage collector's
# sight, a collection in a child neither scans it nor writes to (and so copies) its pages.
gc.freeze()


def serve(service: str, port: int, env: dict[str, str]) -> None:
    """A forked child's life: `tasksync serve SERVICE --port PORT` in the environment `env`
    (TASKSYNC_HOST, TASKSYNC_DATA_DIR and every setting read as that command reads them)."""
    os.environ.clear()
    os.environ.update(env)
    if not tasksync.cli.serve.run([service, "--port", str(port)]):
        raise SystemExit(f"{service} is not a service")


def migrate(postgres_url: str) -> None:
    """Every service's database, created and brought to its latest schema."""
    asyncio.run(tasksync.stack.migrate_all(postgres_url=postgres_url))
