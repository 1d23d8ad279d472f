"""Runs an ASGI app under uvicorn and says so once it is ready to serve."""

import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from tasksync.cli.http_protocol import OneWriteHttpProtocol


class _Server(uvicorn.Server):
    """Stops gracefully on SIGINT or SIGTERM and then exits 0 (uvicorn re-raises the signal,
    which makes a clean stop look like a crash to supervisors)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _freeze_start_up_objects() -> None:
    """Moves what start-up built (modules, models, routes: some 150,000 objects) out of the
    garbage collector's sight. A full collection then scans only what requests left behind,
    instead of pausing every request in flight for about 70 ms (docs/performance.md)."""
    gc.collect()
    gc.freeze()


def serve_app(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    ready_message: str,
    trusted_proxies: str | None = None,
) -> None:
    """Serves until SIGINT or SIGTERM. With `trusted_proxies` (the gateway's addresses), the
    client address is taken from their X-Forwarded-For."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="auto",
        http=OneWriteHttpProtocol,
        access_log=False,
        log_config=None,
        proxy_headers=trusted_proxies is not None,
        forwarded_allow_ips=trusted_proxies,
        timeout_graceful_shutdown=10,
        # WebSockets (/api/v1/live): a ping every 20 s, a peer silent 20 s more is dropped.
        ws_ping_interval=20,
        ws_ping_timeout=20,
        ws_max_size=1 << 20,
    )
    server = _Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        if server.started:
            _freeze_start_up_objects()
            print(ready_message, file=sys.stderr, flush=True)
        await serving

    # uvloop where installed, as `uvicorn.run` would pick: asyncio.run would not.
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(run())
    if not server.started:
        sys.exit(1)
