"""Runs an ASGI app under uvicorn and says so once it is ready to serve."""

import asyncio
import contextlib
import gc
import resource
import signal
import sys
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from tasksync.cli.http_protocol import ConnectionLimits, guarded_protocol
from tasksync.cli.websocket_protocol import LeanWebSocketProtocol
from tasksync.common.settings import HttpServerSettings


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


def raise_open_files_limit(wanted: int) -> int:
    """Raises this process's soft limit of open files to `wanted` (never above the hard
    limit, never lower than it is); children inherit it. Returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def server_config(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    settings: HttpServerSettings,
    trusted_proxies: str | None = None,
    **options: Any,
) -> uvicorn.Config:
    """How every TaskSync server runs: the guarded one-write protocol with the settings'
    limits, no `server` banner. With `trusted_proxies` (the gateway's addresses), the client
    address is taken from their X-Forwarded-For."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="auto",
        http=guarded_protocol(ConnectionLimits.from_settings(settings)),
        timeout_keep_alive=settings.http_keep_alive_timeout,  # type: ignore[arg-type]
        server_header=False,
        access_log=False,
        log_config=None,
        proxy_headers=trusted_proxies is not None,
        forwarded_allow_ips=trusted_proxies,
        timeout_graceful_shutdown=10,
        # WebSockets (/api/v1/live): a ping every 20 s, a peer silent 20 s more is dropped.
        ws=LeanWebSocketProtocol,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        ws_max_size=1 << 20,
        **options,
    )


def serve_app(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    ready_message: str,
    settings: HttpServerSettings,
    trusted_proxies: str | None = None,
) -> None:
    """Serves until SIGINT or SIGTERM."""
    raise_open_files_limit(settings.open_files_limit)
    config = server_config(
        app, host=host, port=port, settings=settings, trusted_proxies=trusted_proxies
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
