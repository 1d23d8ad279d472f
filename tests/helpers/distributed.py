"""Services each behind a real HTTP server, and the gateway in front of them, as
`tasksync up --distributed` runs them (on free loopback ports, in this event loop)."""

import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from tasksync import stack
from tests.helpers.servers import running_server


@asynccontextmanager
async def distributed_gateway(
    settings: dict[str, Any], *services: str, **gateway_settings: Any
) -> AsyncIterator[str]:
    """Serves each of `services` and a gateway that proxies to them; yields the gateway's
    URL. Services left out are unreachable (only what needs no other service is tested)."""
    async with AsyncExitStack() as running:
        urls = {
            name: await running.enter_async_context(
                running_server(stack.build_service(name, **settings))
            )
            for name in services
        }
        gateway = stack.build_service("gateway", **settings, service_urls=urls, **gateway_settings)
        yield await running.enter_async_context(running_server(gateway))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def distributed_stack(settings: dict[str, Any], *services: str) -> AsyncIterator[str]:
    """Like `distributed_gateway`, but every service knows where every other one answers, so
    they call each other over HTTP (fallbacks, revocations) as in distributed mode."""
    urls = {name: f"http://127.0.0.1:{_free_port()}" for name in services}
    async with AsyncExitStack() as running:
        for name in services:
            app = stack.build_service(name, **settings, service_urls=urls)
            port = int(urls[name].rsplit(":", 1)[1])
            await running.enter_async_context(running_server(app, port=port))
        gateway = stack.build_service("gateway", **settings, service_urls=urls)
        yield await running.enter_async_context(running_server(gateway))
