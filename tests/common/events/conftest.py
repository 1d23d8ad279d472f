"""A users service and the test-only probe consumer, wired by the event backbone: in-process
on the sqlite backend, Redis Streams on the postgres one."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasksync.common.db import Database
from tasksync.common.events.local import InProcessBus
from tasksync.users.app import definition as users_service
from tests.helpers import probe

FAST_EVENTS = {
    "event_poll_interval": 0.2,
    "event_visibility_timeout": 0.3,
    "event_retry_backoff": 0.02,
    "event_max_attempts": 3,
    "event_flush_timeout": 2.0,
}


@dataclass
class EventStack:
    users: FastAPI
    probe: FastAPI
    client: httpx.AsyncClient

    @property
    def users_db(self) -> Database:
        return self.users.state.kit.db

    @property
    def probe_db(self) -> Database:
        return self.probe.state.kit.db


StackFactory = Callable[..., AbstractAsyncContextManager[EventStack]]


@pytest.fixture(autouse=True)
def reset_probe() -> None:
    probe.behaviour.__init__()  # type: ignore[misc]


@pytest.fixture
def event_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, **FAST_EVENTS}


@pytest.fixture
def event_stack(event_settings: dict[str, Any]) -> StackFactory:
    @asynccontextmanager
    async def build(**extra: Any) -> AsyncIterator[EventStack]:
        overrides = {**event_settings, **extra}
        probe_settings = probe.probe_settings(overrides)
        await probe.create_tables(probe_settings)
        bus = InProcessBus()
        bus.expect({"probe"})
        users = users_service.create_app(users_service.settings(**overrides), bus=bus)
        consumer = probe.create_probe_app(probe_settings, bus)
        async with AsyncExitStack() as stack:
            for app in (consumer, users):
                await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=users)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver")
            )
            yield EventStack(users, consumer, client)

    return build


@pytest.fixture
async def running(event_stack: StackFactory) -> AsyncIterator[EventStack]:
    async with event_stack() as stack:
        yield stack
