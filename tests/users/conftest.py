"""Fixtures of the users suite.

Every response any client of this suite receives is checked for password material, so a leak
fails whichever test happens to see it.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasksync import stack
from tasksync.common.db import Database

SECRET_MARKERS = ("argon2", "password_hash")


async def _no_password_material(response: httpx.Response) -> None:
    body = (await response.aread()).decode(errors="replace")
    for marker in SECRET_MARKERS:
        assert marker not in body, f"{response.request.url} leaked {marker!r}: {body}"


def http_client(app: FastAPI, *, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client calling `app` in-process as if from `address`."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)),
        base_url="http://testserver",
        event_hooks={"response": [_no_password_material]},
    )


@pytest.fixture
async def client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The shared stack client, with every response checked for password material."""
    client.event_hooks["response"].append(_no_password_material)
    return client


class RunningApp:
    """An app whose lifespan is running; hands out clients from any address."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def client(self, address: str = "127.0.0.1") -> httpx.AsyncClient:
        return http_client(self.app, address=address)


AppFactory = Callable[..., AbstractAsyncContextManager[RunningApp]]


@pytest.fixture
def embedded(settings: dict[str, Any]) -> AppFactory:
    """The embedded stack built with extra settings, e.g. `embedded(access_token_minutes=0)`."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[RunningApp]:
        app = stack.build_embedded(**{**settings, **overrides})
        async with app.router.lifespan_context(app):
            yield RunningApp(app)

    return build


@pytest.fixture
async def users_alone(settings: dict[str, Any]) -> AsyncIterator[RunningApp]:
    """The users service on its own, without the gateway in front."""
    app = stack.build_service("users", **settings)
    async with app.router.lifespan_context(app):
        yield RunningApp(app)


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
