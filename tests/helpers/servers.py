"""Real HTTP servers on loopback for tests: uvicorn in this event loop, on a free port, with
the HTTP protocol TaskSync serves with."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from tasksync.cli.http_protocol import OneWriteHttpProtocol


@asynccontextmanager
async def running_server(
    app: ASGIApp, *, lifespan: str = "on", send_buffer: int | None = None
) -> AsyncIterator[str]:
    """Serves `app` on 127.0.0.1 and yields its base URL; stops it on exit. `send_buffer`
    caps the kernel's send buffer of every accepted connection (a slow client then pushes
    back on the server after a few kilobytes)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan=lifespan,
        log_config=None,
        access_log=False,
        http=OneWriteHttpProtocol,
    )
    server = uvicorn.Server(config)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
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
