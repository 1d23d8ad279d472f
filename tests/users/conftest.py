"""Fixtures of the users suite.

Every response any client of this suite receives is checked for password material, so a leak
fails whichever test happens to see it.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasksync import stack
from tasksync.common.db import Database
from tests.helpers.stacks import AppFactory, RunningApp, embedded_factory

SECRET_MARKERS = ("argon2", "password_hash")


async def _no_password_material(response: httpx.Response) -> None:
    body = (await response.aread()).decode(errors="replace")
    for marker in SECRET_MARKERS:
        assert marker not in body, f"{response.request.url} leaked {marker!r}: {body}"


LEAK_CHECK = {"event_hooks": {"response": [_no_password_material]}}


def http_client(app: FastAPI, *, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client calling `app` in-process as if from `address`."""
    return RunningApp(app, **LEAK_CHECK).client(address)


@pytest.fixture
async def client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The shared stack client, with every response checked for password material."""
    client.event_hooks["response"].append(_no_password_material)
    return client


@pytest.fixture
def embedded(settings: dict[str, Any]) -> AppFactory:
    """The embedded stack built with extra settings, e.g. `embedded(access_token_minutes=0)`."""
    return embedded_factory(settings, **LEAK_CHECK)


@pytest.fixture
async def users_alone(settings: dict[str, Any]) -> AsyncIterator[RunningApp]:
    """The users service on its own, without the gateway in front."""
    app = stack.build_service("users", **settings)
    async with app.router.lifespan_context(app):
        yield RunningApp(app, **LEAK_CHECK)


@pytest.fixture
def users_settings(settings: dict[str, Any]) -> Any:
    """The users service's settings object for this backend (what the CLI commands take)."""
    return stack.settings_for("users", **settings)


@pytest.fixture
async def users_db(users_settings: Any) -> AsyncIterator[Database]:
    """Direct access to the users database, for what no public route exposes."""
    db = await Database.open(users_settings.database_url("users"))
    try:
        yield db
    finally:
        await db.close()
