from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from tasksync import stack
from tests.helpers.servers import running_server

Serve = Callable[..., AbstractAsyncContextManager[str]]


@pytest.fixture
def serve(settings: dict[str, Any]) -> Serve:
    """`async with serve(setting=value) as url:` the embedded stack on a loopback port."""

    @asynccontextmanager
    async def build(send_buffer: int | None = None, **overrides: Any) -> AsyncIterator[str]:
        app = stack.build_embedded(**{**settings, **overrides})
        async with running_server(app, send_buffer=send_buffer) as url:
            yield url

    return build


@pytest.fixture
async def served(serve: Serve) -> AsyncIterator[str]:
    """The embedded stack on a real loopback port: its base URL."""
    async with serve() as url:
        yield url


@pytest.fixture
async def http(served: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served) as client:
        yield client
