"""The embedded gateway's services start side by side and stop in the reverse order."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from tasksync.gateway.mounted import running


def service(name: str, log: list[str], *, fails: bool = False, waits_for: str = "") -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.append(f"{name} starting")
        if waits_for:  # up only once another service began starting: side by side
            for _ in range(100):
                if f"{waits_for} starting" in log:
                    break
                await asyncio.sleep(0)
            else:
                raise RuntimeError(f"{name} started alone")
        if fails:
            raise RuntimeError(f"{name} cannot start")
        log.append(f"{name} up")
        yield
        log.append(f"{name} stopped")

    return FastAPI(lifespan=lifespan)


class TestRunning:
    async def test_services_start_side_by_side_and_stop_in_reverse(self) -> None:
        log: list[str] = []
        apps = [service("users", log, waits_for="rooms"), service("rooms", log)]
        async with running(apps):
            assert {"users up", "rooms up"} <= set(log)
        assert log[-2:] == ["rooms stopped", "users stopped"]

    async def test_a_service_that_cannot_start_raises_and_the_others_stop(self) -> None:
        log: list[str] = []
        apps = [service("users", log), service("rooms", log, fails=True, waits_for="users")]
        with pytest.raises(RuntimeError, match="rooms cannot start"):
            async with running(apps):
                pytest.fail("the stack must not run without one of its services")
        assert "users stopped" in log
