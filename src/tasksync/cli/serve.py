"""`tasksync serve NAME`: one service process, started without the CLI's own libraries.

A service process runs for days with whatever it imported at start. Typer, Rich and the
client and operator commands are needed only to parse four options, yet cost every process
memory and start-up time (docs/performance.md, Memory), so a plain `serve` command line is
parsed here. Anything else (`--help`, a usage error, an unknown service) goes through the
full CLI, which explains itself as it always has.
"""

import argparse
import os
from pathlib import Path
from typing import Any


class _NotPlain(Exception):
    """The command line is not one this parser serves; the full CLI takes it."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise _NotPlain(message)


def _options(argv: list[str]) -> argparse.Namespace | None:
    parser = _Parser(add_help=False)
    parser.add_argument("service")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--host", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    try:
        options = parser.parse_args(argv)
        # The same environment variables as the full CLI's options.
        if options.port is None and os.environ.get("TASKSYNC_PORT"):
            options.port = int(os.environ["TASKSYNC_PORT"])
    except (_NotPlain, ValueError):
        return None
    options.host = options.host or os.environ.get("TASKSYNC_HOST") or "127.0.0.1"
    if options.data_dir is None and os.environ.get("TASKSYNC_DATA_DIR"):
        options.data_dir = Path(os.environ["TASKSYNC_DATA_DIR"])
    return options


def serve(service: str, *, port: int | None, host: str, data_dir: Path | None) -> None:
    """Builds the service's app and serves it until SIGINT or SIGTERM."""
    from tasksync import stack
    from tasksync.cli.server import serve_app
    from tasksync.common import registry

    application = stack.build_service(service, **({"data_dir": data_dir} if data_dir else {}))
    port = port or registry.spec(service).port
    settings = application.state.settings
    serve_app(
        application,
        host=host,
        port=port,
        ready_message=f"TaskSync {service} is running at http://{host}:{port}",
        settings=settings,
        trusted_proxies=None if service == "gateway" else settings.forwarded_allow_ips,
    )


def run(argv: list[str]) -> bool:
    """Serves when `argv` (the words after `serve`) is a plain command line for a known
    service; False when the full CLI should handle it."""
    from tasksync.common import registry

    options = _options(argv)
    if options is None or options.service not in {spec.name for spec in registry.ALL}:
        return False
    serve(options.service, port=options.port, host=options.host, data_dir=options.data_dir)
    return True
