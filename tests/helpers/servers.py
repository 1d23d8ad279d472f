"""Real HTTP servers on loopback for tests: uvicorn in this event loop, on a free port,
configured as `tasksync serve` configures it (protocol, limits, headers)."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from tasksync.cli.server import server_config
from tasksync.common.settings import HttpServerSettings


@asynccontextmanager
async def running_server(
    app: ASGIApp,
    *,
    lifespan: str = "on",
    port: int = 0,
    send_buffer: int | None = None,
    **limits: Any,
) -> AsyncIterator[str]:
    """Serves `app` on 127.0.0.1 and yields its base URL; stops it on exit. The limits are
    the app's settings' (or the defaults), with `limits` (e.g. `http_header_timeout=0.5`)
    overriding them. A service trusts the gateway's X-Forwarded-For, as `tasksync serve`
    runs it. `send_buffer` caps the kernel's send buffer of every accepted connection (a
    slow client then pushes back on the server after a few kilobytes)."""
    state = getattr(app, "state", None)
    settings = getattr(state, "settings", None) or HttpServerSettings()
    is_service = hasattr(state, "service_name")
    trusted = settings.forwarded_allow_ips if is_service else None  # type: ignore[attr-defined]
    if limits:
        settings = HttpServerSettings(**{**settings.model_dump(), **limits})
    config = server_config(
        app,
        host="127.0.0.1",
        port=port,
        settings=settings,
        trusted_proxies=trusted,
        lifespan=lifespan,
    )
    server = uvicorn.Server(config)
    listening = socket.socket()
    listening.bind(("127.0.0.1", port))
    if send_buffer is not None:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
