"""uvicorn's HTTP protocol, with each response sent in one write and limits on every connection.

uvicorn writes a response's head and its body with two socket writes: two TCP segments, two
system calls and two wake-ups of the reader for every small JSON answer. Through the gateway
that is paid at both hops. Here what a response writes within one turn of the event loop goes
out as one write at the end of that turn (docs/performance.md).

httptools itself bounds neither the time nor the size of a request's head, and uvicorn starts
its idle timer only after a first response: a connection that sent nothing, or a header line a
second, stayed open for ever. `GuardedHttpProtocol` adds the deadlines and sizes of
`ConnectionLimits` (docs/operations.md, Security).
"""

import asyncio
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tasksync.common.settings import HttpServerSettings

log = structlog.get_logger("tasksync.http")
# A request body must bring this much (or its end) within each `body_timeout`.
BODY_PROGRESS_BYTES = 64 * 1024
# A flood of refusals writes one line per reason this often, with their count: the log must
# not become what an attack fills.
REFUSALS_LOGGED_EVERY = 10.0


class RefusalLog:
    """Warnings about refused connections and requests, throttled per reason."""

    def __init__(self) -> None:
        self._since: dict[str, tuple[float, int]] = {}

    def note(self, event: str, reason: str) -> None:
        now = time.monotonic()
        logged_at, count = self._since.get(reason, (0.0, 0))
        if now - logged_at < REFUSALS_LOGGED_EVERY:
            self._since[reason] = (logged_at, count + 1)
            return
        log.warning(event, reason=reason, since_last_line=count + 1)
        self._since[reason] = (now, 0)


_refusals = RefusalLog()


class _OneWritePerTurn:
    """A transport that gathers the writes of one event-loop turn; the rest is the real one."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_OneWritePerTurn(transport, self.loop))  # type: ignore[arg-type]

    def handle_websocket_upgrade(self) -> None:
        """A WebSocket writes its frames straight to the socket: live updates write one frame
        to each of thousands of sockets in one turn, where gathering would only add a
        callback per socket and frame (docs/realtime.md, Backpressure)."""
        gathering = self.transport
        if isinstance(gathering, _OneWritePerTurn):
            gathering._flush()
            self.transport = gathering._transport
        super().handle_websocket_upgrade()


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    max_header_bytes: int = 32 * 1024
    max_connections: int = 4096

    @classmethod
    def from_settings(cls, settings: HttpServerSettings) -> "ConnectionLimits":
        return cls(
            header_timeout=settings.http_header_timeout,
            body_timeout=settings.http_body_timeout,
            max_header_bytes=settings.http_max_header_bytes,
            max_connections=settings.http_max_connections,
        )


class GuardedHttpProtocol(OneWriteHttpProtocol):
    """Closes a connection that sends nothing in time, whose request head is late (408) or
    too large (431), whose body stalls, or that is one too many for the process (503)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_head = True
        self._head_bytes = 0
        self._reading_body = False
        self._body_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            _refusals.note("connection_refused", "too many connections")
            self._answer_and_close(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        self._arm(self.limits.header_timeout, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._deadline is None and not self._reading_body:
            # The bytes of a next request, even the blank lines the parser skips before one
            # (each of which stops uvicorn's idle timer): its head is due from now on.
            self._awaiting_head, self._head_bytes = True, 0
            self._arm(self.limits.header_timeout, self._head_too_slow)
        super().data_received(data)  # the parser's callbacks below move the state on
        if self.transport.is_closing():
            return
        if self._awaiting_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                _refusals.note("request_refused", "request head too large")
                self._answer_and_close(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        elif self._reading_body:
            self._body_bytes += len(data)
            if self._deadline is None or self._body_bytes >= BODY_PROGRESS_BYTES:
                self._body_bytes = 0
                self._arm(self.limits.body_timeout, self._body_too_slow)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_head, self._head_bytes = True, 0
        if self._deadline is None:
            self._arm(self.limits.header_timeout, self._head_too_slow)

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._disarm()
        self._reading_body, self._body_bytes = True, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._disarm()
        super().on_message_complete()

    def _head_too_slow(self) -> None:
        self._deadline = None
        if not self._awaiting_head:
            return
        if not self._head_bytes:  # an idle connection (a preconnect, a TCP check): no fuss
            self.transport.close()
            return
        _refusals.note("request_refused", "request head not received in time")
        self._answer_and_close(HTTPStatus.REQUEST_TIMEOUT)

    def _body_too_slow(self) -> None:
        self._deadline = None
        if not self._reading_body:
            return
        if self.flow.read_paused:  # the app is not reading the body yet: not the client's fault
            self._arm(self.limits.body_timeout, self._body_too_slow)
            return
        _refusals.note("request_refused", "request body not received in time")
        self.transport.close()  # the app, waiting for the body, is told the client left

    def _answer_and_close(self, status: HTTPStatus) -> None:
        """A short plain answer, when no response is under way on this connection, then
        the end of the connection."""
        self._disarm()
        if self.cycle is None or self.cycle.response_complete:
            body = status.phrase.encode()
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                % (status.value, body, len(body), body)
            )
        self.transport.close()

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """The protocol class uvicorn instantiates per connection, with these limits."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})
