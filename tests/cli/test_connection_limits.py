"""Finding 4 of the security probe: idle, slow and oversized clients cannot hold a server's
connections. Real sockets against a real server configured as `tasksync serve` does, with
short limits."""

import asyncio
import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from starlette.types import Receive, Scope, Send

from tasksync.cli.http_protocol import RefusalLog
from tests.helpers.servers import running_server

# How long a test waits for the server to act before it counts as not acting (a bound on a
# loop, not a measured figure): well above every short limit below.
PATIENCE = 10.0
SHORT = {"http_header_timeout": 0.5, "http_body_timeout": 0.5, "http_keep_alive_timeout": 0.5}


async def _echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(size).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def _connection(url: str) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        yield reader, writer
    finally:
        writer.close()


async def _until_closed(reader: asyncio.StreamReader) -> bytes:
    """What the server sends until it closes the connection (a reset counts as closed)."""
    try:
        return await asyncio.wait_for(reader.read(), timeout=PATIENCE)
    except ConnectionResetError:
        return b""


async def _drip(writer: asyncio.StreamWriter, pieces: list[bytes]) -> None:
    """Sends one piece every tenth of a second, until they run out or the server closes."""
    for piece in pieces:
        if writer.is_closing():
            return
        try:
            writer.write(piece)
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(0.1)


class TestIdleConnections:
    async def test_a_connection_that_sends_nothing_is_closed(self) -> None:
        async with (
            running_server(_echo_length, lifespan="off", **SHORT) as url,
            _connection(url) as (reader, _),
        ):
            answer = await _until_closed(reader)
        assert answer == b""

    async def test_a_kept_alive_connection_is_closed_once_idle(self) -> None:
        async with (
            running_server(_echo_length, lifespan="off", **SHORT) as url,
            _connection(url) as (reader, writer),
        ):
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            answer = await _until_closed(reader)
        assert answer.startswith(b"HTTP/1.1 200")
        assert answer.endswith(b"\r\n\r\n0")


class TestSlowClients:
    async def test_headers_sent_a_line_at_a_time_are_cut_off_with_408(self) -> None:
        lines = [b"GET / HTTP/1.1\r\n"] + [b"X-Slow-%d: 1\r\n" % n for n in range(100)]
        async with (
            running_server(_echo_length, lifespan="off", **SHORT) as url,
            _connection(url) as (reader, writer),
        ):
            dripping = asyncio.create_task(_drip(writer, lines))
            answer = await _until_closed(reader)
            dripping.cancel()
        assert answer.startswith(b"HTTP/1.1 408")

    async def test_blank_lines_trickled_on_a_kept_alive_connection_do_not_keep_it_open(
        self,
    ) -> None:
        request = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
        async with (
            running_server(_echo_length, lifespan="off", **SHORT) as url,
            _connection(url) as (reader, writer),
        ):
            dripping = asyncio.create_task(_drip(writer, [request] + [b"\r\n"] * 300))
            answer = await _until_closed(reader)
            dripping.cancel()
        assert answer.startswith(b"HTTP/1.1 200")
        assert b"HTTP/1.1 408" in answer

    async def test_a_body_sent_a_byte_at_a_time_is_cut_off(self) -> None:
        head = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
        async with (
            running_server(_echo_length, lifespan="off", **SHORT) as url,
            _connection(url) as (reader, writer),
        ):
            dripping = asyncio.create_task(_drip(writer, [head] + [b"x"] * 100))
            answer = await _until_closed(reader)
            dripping.cancel()
        assert answer == b""  # closed without an answer: the app saw the client leave

    async def test_a_large_body_sent_at_once_is_read_whole(self) -> None:
        body = b"x" * (1024 * 1024)
        head = b"POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        async with (
            running_server(_echo_length, lifespan="off", **SHORT) as url,
            _connection(url) as (reader, writer),
        ):
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            answer = await _until_closed(reader)
        assert answer.startswith(b"HTTP/1.1 200")
        assert answer.endswith(b"\r\n\r\n%d" % len(body))


class TestSizes:
    async def test_an_oversized_header_gets_431_or_the_connection_closed(self) -> None:
        request = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 40_000
        async with (
            running_server(_echo_length, lifespan="off", http_max_header_bytes=16 * 1024) as url,
            _connection(url) as (reader, writer),
        ):
            writer.write(request)
            answer = await _until_closed(reader)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431")

    async def test_headers_within_the_limit_are_served(self) -> None:
        request = b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Big: " + b"a" * 8_000
        async with (
            running_server(_echo_length, lifespan="off", http_max_header_bytes=16 * 1024) as url,
            _connection(url) as (reader, writer),
        ):
            writer.write(request + b"\r\n\r\n")
            answer = await _until_closed(reader)
        assert answer.startswith(b"HTTP/1.1 200")


class TestConnectionCount:
    async def test_a_connection_beyond_the_limit_gets_503_and_the_others_are_served(
        self,
    ) -> None:
        async with (
            running_server(_echo_length, lifespan="off", http_max_connections=2) as url,
            _connection(url) as first,
            _connection(url) as second,
        ):
            for reader, writer in (first, second):  # both served, so both counted
                writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
                assert head.startswith(b"HTTP/1.1 200")
                await reader.readexactly(1)
            async with _connection(url) as (refused, _):
                assert (await _until_closed(refused)).startswith(b"HTTP/1.1 503")


class TestOpenFilesLimit:
    def test_a_server_raises_its_soft_limit_of_open_files_within_the_hard_one(self) -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)

        def low_soft_limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

        script = (
            "from tasksync.cli.server import raise_open_files_limit as r; "
            f"import resource; r({wanted}); "
            "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
        )
        shown = subprocess.run(
            [sys.executable, "-c", script],
            preexec_fn=low_soft_limit,
            capture_output=True,
            text=True,
            check=True,
        )
        assert int(shown.stdout) == wanted


class TestRefusalLog:
    def test_a_flood_of_refusals_writes_one_line_per_reason(self) -> None:
        refusals = RefusalLog()
        with structlog.testing.capture_logs() as lines:
            for _ in range(1000):
                refusals.note("connection_refused", "too many connections")
            refusals.note("request_refused", "request head too large")
        assert [(line["event"], line["reason"]) for line in lines] == [
            ("connection_refused", "too many connections"),
            ("request_refused", "request head too large"),
        ]
