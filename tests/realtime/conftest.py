from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tasksync import stack
from tests.helpers.servers import running_server


@pytest.fixture
async def served(settings: dict[str, Any]) -> AsyncIterator[str]:
    """The embedded stack on a real loopback port: its base URL."""
    async with running_server(stack.build_embedded(**settings)) as url:
        yield url


@pytest.fixture
async def http(served: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served) as client:
        yield client
