"""Runs an ASGI app under uvicorn and says so once it is ready to serve."""

import asyncio
import sys

import uvicorn
from starlette.types import ASGIApp


def serve_app(
    app: ASGIApp, *, host: str, port: int, ready_message: str, proxy_headers: bool = False
) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="auto",
        http="auto",
        access_log=False,
        log_config=None,
        proxy_headers=proxy_headers,
        forwarded_allow_ips="127.0.0.1,::1" if proxy_headers else None,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        if server.started:
            print(ready_message, file=sys.stderr, flush=True)
        await serving

    asyncio.run(run())
    if not server.started:
        sys.exit(1)
