"""The proxy's HTTP/1.1 client: kept-alive connections to the services, parsed by httptools.

aiohttp's general client cost the gateway about 110 us of CPU per proxied request, against
some 55 for this one (docs/performance.md). The proxy needs little of a client: one request
at a time per connection, bodies passed through as they are, and no redirects, cookies,
compression or proxies.
"""

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import cast

import httptools

# The services close a connection idle for TASKSYNC_HTTP_KEEP_ALIVE_TIMEOUT (5 s); one idle
# for a second less than that is no longer reused, so that a request is not sent on a
# connection the service is closing.
REUSE_MARGIN_SECONDS = 1.0
IDLE_PER_ADDRESS = 100
# A response body buffered beyond this pauses reading from the service until it is sent on.
READ_AHEAD_BYTES = 1024 * 1024

Headers = list[tuple[bytes, bytes]]


class NotSent(ConnectionError):
    """No connection to the service could be made: the request never left. Safe to send
    anywhere again."""


class NoAnswer(ConnectionError):
    """The connection closed before anything of an answer came. The service may or may not
    have seen the request: only a request that is safe to repeat may be sent again."""


class Response:
    """A service's answer: status and headers at once, the body as it arrives."""

    def __init__(self, connection: "_Connection", status: int, headers: Headers) -> None:
        self.status = status
        self.headers = headers
        self._connection = connection

    async def chunks(self) -> AsyncIterator[bytes]:
        while (chunk := await self._connection.next_chunk()) is not None:
            yield chunk


class _Connection(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reused = False
        self.idle_since = 0.0
        self.keep_alive = False
        self._parser = httptools.HttpResponseParser(self)
        self._head: asyncio.Future[Response] | None = None
        self._headers: Headers = []
        self._body: deque[bytes | None] = deque()
        self._buffered = 0
        self._body_arrived: asyncio.Event = asyncio.Event()
        self._answered = False
        self._can_write = asyncio.Event()
        self._can_write.set()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._answered = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"the service sent a malformed answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(NoAnswer() if not self._answered else ConnectionResetError("closed early"))
        self._can_write.set()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        response = Response(self, self._parser.get_status_code(), self._headers)
        if self._head is not None and not self._head.done():
            self._head.set_result(response)

    def on_body(self, body: bytes) -> None:
        self._push(body)
        self._buffered += len(body)
        if self._buffered > READ_AHEAD_BYTES and self.transport is not None:
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        self.keep_alive = self._parser.should_keep_alive()
        self._push(None)

    # used by the pool

    async def send(self, head: bytes, body: bytes | AsyncIterator[bytes] | None) -> Response:
        """Writes one request and waits for the head of its answer."""
        assert self.transport is not None
        self._head = self._loop.create_future()
        self._headers, self._answered = [], False
        self._body.clear()
        self._buffered = 0
        if isinstance(body, bytes | None):
            self.transport.write(head + body if body else head)
        else:
            self.transport.write(head)
            async for chunk in body:
                if chunk:
                    await self._can_write.wait()
                    self.transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.transport.write(b"0\r\n\r\n")
        if self.closed and not self._head.done():
            self._fail(NoAnswer())
        return await self._head

    async def next_chunk(self) -> bytes | None:
        while not self._body:
            if self.closed:
                raise ConnectionResetError("the service closed the connection mid-answer")
            self._body_arrived.clear()
            await self._body_arrived.wait()
        chunk = self._body.popleft()
        if chunk is not None:
            self._buffered -= len(chunk)
            if self._buffered <= READ_AHEAD_BYTES and self.transport is not None:
                self.transport.resume_reading()
        return chunk

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _push(self, item: bytes | None) -> None:
        self._body.append(item)
        self._body_arrived.set()

    def _fail(self, exc: Exception) -> None:
        if self._head is not None and not self._head.done():
            self._head.set_exception(exc)
        self._body_arrived.set()


class UpstreamPool:
    """Idle kept-alive connections per service address, reused one request at a time."""

    def __init__(self, *, keep_alive_timeout: float = 5.0) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._reuse_within = max(keep_alive_timeout - REUSE_MARGIN_SECONDS, 0.0)

    async def request(
        self,
        host: str,
        port: int,
        head: bytes,
        body: bytes | AsyncIterator[bytes] | None,
        *,
        retry_if_stale: bool,
    ) -> tuple[_Connection, Response]:
        """Sends `head` (the request line and headers) and `body`; the answer's head comes
        back with the connection to `release` once its body has been read. A reused
        connection that turns out closed is replaced by a new one when `retry_if_stale`."""
        connection = await self._connection(host, port)
        try:
            return connection, await connection.send(head, body)
        except NoAnswer:
            connection.close()
            if not (connection.reused and retry_if_stale):
                raise
        except BaseException:
            connection.close()  # cancelled or timed out mid-request: never to be reused
            raise
        connection = await self._open(host, port)
        try:
            return connection, await connection.send(head, body)
        except BaseException:
            connection.close()
            raise

    def release(self, connection: _Connection, address: tuple[str, int]) -> None:
        """Back to the idle ones, when its answer was read whole and it may be kept."""
        idle = self._idle.setdefault(address, [])
        if connection.closed or not connection.keep_alive or len(idle) >= IDLE_PER_ADDRESS:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        connection.keep_alive = False
        idle.append(connection)

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()

    async def _connection(self, host: str, port: int) -> _Connection:
        idle = self._idle.get((host, port), [])
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to be closed
            if not connection.closed and now - connection.idle_since < self._reuse_within:
                connection.reused = True
                return connection
            connection.close()
        return await self._open(host, port)

    async def _open(self, host: str, port: int) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(lambda: _Connection(loop), host, port)
        except OSError as exc:
            raise NotSent(f"cannot connect to {host}:{port}: {exc}") from exc
        return connection
