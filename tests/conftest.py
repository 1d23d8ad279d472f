"""Fixtures shared by every suite.

Every stack test runs twice: on `sqlite` (the embedded mode: SQLite files, in-memory limits)
and on `postgres` (PostgreSQL databases and Redis). PostgreSQL and Redis are used when they
answer; with TASKSYNC_REQUIRE_SERVICES=1 an unreachable one fails the run instead of skipping.
Each test starts from empty tables. A test marked `only_backend(name)` runs on that one;
`tests.helpers.backends.ONE_BACKEND` marks what is decided the same way on both.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from tasksync import stack
from tasksync.common.db import drop_databases
from tasksync.common.redis_client import delete_prefixed
from tests.helpers.database import Wiper
from tests.helpers.stacks import AppFactory, embedded_factory

POSTGRES_URL = os.environ.get(
    "TASKSYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TASKSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("TASKSYNC_REQUIRE_SERVICES") == "1"

# Cheap password hashing keeps the suite fast; production uses the strong defaults.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
# Every test registers its cast from one address; tests of the limit set it low themselves.
MANY_REGISTRATIONS = {"registrations_per_address": 1_000_000}


async def _reachable() -> str | None:
    """Why PostgreSQL or Redis cannot be used, or None when both answer."""
    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
        await conn.close()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}"
    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await redis.ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL} is not reachable: {exc}"
    finally:
        await redis.aclose()
    return None


def worker_id() -> str:
    """Unique per test process, so parallel runs never share (and wipe) databases."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `only_backend(name)` keeps only that backend's variant: for what is the
    same code on both (role tables, input validation, the API contract), one run suffices."""
    kept, dropped = [], []
    for item in items:
        mark = item.get_closest_marker("only_backend")
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = params.get("backend_settings")
        if mark is not None and backend is not None and backend != mark.args[0]:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
async def postgres_available() -> bool:
    problem = await _reachable()
    if problem and REQUIRE_SERVICES:
        pytest.fail(f"{problem} (TASKSYNC_REQUIRE_SERVICES=1 makes this an error).")
    return problem is None


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def backend_settings(
    request: pytest.FixtureRequest, sqlite_dir: Path, postgres_available: bool
) -> AsyncIterator[dict[str, Any]]:
    """Settings overrides for one backend, with every service's database migrated once."""
    if request.param == "postgres":
        if not postgres_available:
            pytest.skip("PostgreSQL or Redis not reachable")
        overrides = {
            "postgres_url": POSTGRES_URL,
            "redis_url": REDIS_URL,
            "db_prefix": f"tasksync_test_{worker_id()}",
            "redis_prefix": f"tasksync_test:{worker_id()}:{uuid.uuid4().hex[:8]}",
        }
    else:
        overrides = {"data_dir": sqlite_dir}
    overrides |= {
        "migrate_on_start": False,
        "log_level": "warning",
        "jwks_refresh_cooldown": 0.1,
        "event_read_block": 0.05,  # each stack stops within one read
        # What another process commits (a command, a second replica) is relayed this soon.
        "event_poll_interval": 0.2,
        # Small pools: PostgreSQL's 100 connections are shared by every worker's stacks.
        "db_pool_size": 5,
        **FAST_HASHING,
        **MANY_REGISTRATIONS,
    }
    await stack.migrate_all(**overrides)
    yield overrides
    if "postgres_url" in overrides:  # each run has its own databases (and the probe's): drop them
        urls = stack.settings_for("users", **overrides).database_url
        await drop_databases(urls(name) for name in [*stack.SERVICES, "probe"])


@pytest.fixture(scope="session")
def wiper() -> Iterator[Wiper]:
    wiper = Wiper()
    yield wiper
    wiper.close()


@pytest.fixture
def backend(backend_settings: dict[str, Any]) -> str:
    return "postgres" if "postgres_url" in backend_settings else "sqlite"


@pytest.fixture
async def settings(backend_settings: dict[str, Any], wiper: Wiper) -> AsyncIterator[dict[str, Any]]:
    """This test's settings overrides, on empty databases and a clean Redis prefix."""
    for name in stack.SERVICES:
        await wiper.wipe(stack.settings_for(name, **backend_settings).database_url(name))
    yield backend_settings
    if redis_url := backend_settings.get("redis_url"):
        redis = Redis.from_url(redis_url)
        try:
            await delete_prefixed(redis, backend_settings["redis_prefix"])
        finally:
            await redis.aclose()


@pytest.fixture
def embedded(settings: dict[str, Any]) -> AppFactory:
    """The embedded stack built with extra settings, e.g. `embedded(join_attempts_per_user=3)`:
    `async with embedded(...) as running:` then `running.client()`."""
    return embedded_factory(settings)


@pytest.fixture
async def stack_app(settings: dict[str, Any]) -> AsyncIterator[FastAPI]:
    """The embedded stack with this test's settings, running; its service apps are reachable
    as `stack_app.state.mounted[name]` for what no public route exposes."""
    app = stack.build_embedded(**settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(stack_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the whole embedded stack through the gateway."""
    transport = httpx.ASGITransport(app=stack_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
