"""Structured logs, request ids and Prometheus metrics, in one ASGI middleware.

The request id comes from `X-Request-ID` (or is made here), is bound to every log line of the
request, returned to the client, and forwarded by `ServiceClient` to other services.

The gateway writes an access line for every request. Behind it, a service writes one only for
a request that failed (5xx) or was slow, unless told to log every request: the gateway's line
already records each request, with the same id, and a second line per hop cost a service
about a tenth of the CPU of a read (docs/performance.md).
"""

import logging
import sys
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

HTTP_REQUESTS = Counter(
    "tasksync_http_requests_total",
    "HTTP requests handled, by service, route template and status.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "tasksync_http_request_duration_seconds",
    "Time to answer an HTTP request, by service and route template.",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# A service's request slower than this is logged even when it logs failures only.
SLOW_REQUEST_SECONDS = 1.0

_configured = False


class _NamedBytesLogger:
    """Writes rendered lines straight to stderr, and knows its name for `add_logger_name`.
    Stderr is looked up at each line, not kept: loggers are cached on first use, and whoever
    swapped sys.stderr since (a test's capture, say) may have closed the one seen then."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or "tasksync"

    def msg(self, message: bytes) -> None:
        stream = sys.stderr.buffer
        stream.write(message + b"\n")
        stream.flush()

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


class _NamedPrintLogger(_NamedBytesLogger):
    def msg(self, message: str) -> None:  # type: ignore[override]
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _orjson_lines(event: Any, **_: Any) -> bytes:
    return orjson.dumps(event, default=repr)


def _add_request_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Every line written while a request is handled names it."""
    request_id = request_id_var.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Sends TaskSync's and other libraries' logs to stderr as one JSON object per line.

    TaskSync's own lines skip the standard library's logging machinery (records, handlers,
    formatters) and are filtered by level before any work: an access line per request is
    then cheap enough to keep at info level (docs/performance.md).
    """
    global _configured
    if _configured:
        return
    _configured = True
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    shared = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    console = fmt != "json"
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if console
        else structlog.processors.JSONRenderer(serializer=_orjson_lines)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        logger_factory=_NamedPrintLogger if console else _NamedBytesLogger,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
                if console
                else structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def current_request_id() -> str | None:
    return request_id_var.get()


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


@dataclass(frozen=True, slots=True)
class _Series:
    requests: Any
    latency: Any

    def observe(self, seconds: float) -> None:
        self.requests.inc()
        self.latency.observe(seconds)


class ObservabilityMiddleware:
    """Request id, access log and metrics for one service's HTTP app. With `every_request`
    false, only failed (5xx) and slow requests are logged."""

    def __init__(self, app: ASGIApp, *, service: str, every_request: bool = True) -> None:
        self.app = app
        self.service = service
        self.every_request = every_request
        self.log = structlog.get_logger(f"tasksync.{service}.access")
        self._series: dict[tuple[str, str, int], _Series] = {}

    def _metrics(self, method: str, route: str, status: int) -> _Series:
        """The metric series of one route and status, looked up once (`labels()` takes a
        lock and builds its key on every call)."""
        key = (method, route, status)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = _Series(
                HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                HTTP_LATENCY.labels(self.service, method, route),
            )
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                request_id = value.decode("latin-1")[:200]
                break
        if not request_id:
            request_id = uuid.uuid4().hex
            scope["headers"] = [*scope["headers"], (REQUEST_ID_HEADER, request_id.encode())]
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            self._metrics(method, route, status).observe(elapsed)
            if self.every_request or status >= 500 or elapsed > SLOW_REQUEST_SECONDS:
                self.log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            request_id_var.reset(token)
