"""The proxy's client against a real HTTP peer on loopback that behaves as told: connections
kept and reused, one the peer dropped replaced only when resending is safe, chunked bodies,
and a peer that is not there."""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from tasksync.gateway.upstream import NoAnswer, NotSent, UpstreamPool

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
CHUNKED = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"

# Given the connection's number and the request's number on it: the bytes to answer (b""
# for nothing, keeping the connection open), or None to close it without answering.
Answer = Callable[[int, int], bytes | None]


@asynccontextmanager
async def peer(answer: Answer) -> AsyncIterator[list[int]]:
    """An HTTP peer on a free port; yields [port, connections accepted, connections the
    client closed]."""
    state = [0, 0, 0]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state[1] += 1
        number, asked = state[1], 0
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                asked += 1
                reply = answer(number, asked)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            state[2] += 1  # the client went away
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    state[0] = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()


async def _get(
    pool: UpstreamPool, port: int, *, method: bytes = b"GET", retry: bool = True
) -> bytes:
    head = b"%s / HTTP/1.1\r\nhost: x\r\n\r\n" % method
    connection, response = await pool.request("127.0.0.1", port, head, None, retry_if_stale=retry)
    body = b"".join([chunk async for chunk in response.chunks()])
    pool.release(connection, ("127.0.0.1", port))
    return body


class TestUpstreamPool:
    async def test_answers_come_on_one_kept_alive_connection(self) -> None:
        pool = UpstreamPool()
        async with peer(lambda _, __: OK) as (port, *_):
            assert [await _get(pool, port) for _ in range(3)] == [b"ok"] * 3
        pool.close()

    async def test_one_connection_is_used_for_every_request_in_turn(self) -> None:
        pool = UpstreamPool()
        async with peer(lambda _, __: OK) as state:
            for _ in range(3):
                await _get(pool, state[0])
            assert state[1] == 1
        pool.close()

    async def test_a_connection_dropped_unanswered_is_replaced_for_a_safe_request(self) -> None:
        pool = UpstreamPool()
        # The first connection answers once, then drops the next request unanswered.
        async with peer(lambda n, asked: OK if n > 1 or asked == 1 else None) as state:
            await _get(pool, state[0])
            assert await _get(pool, state[0]) == b"ok"
            assert state[1] == 2
        pool.close()

    async def test_an_unsafe_request_is_not_sent_twice(self) -> None:
        pool = UpstreamPool()
        async with peer(lambda n, asked: OK if n > 1 or asked == 1 else None) as state:
            await _get(pool, state[0])
            with pytest.raises(NoAnswer):
                await _get(pool, state[0], method=b"POST", retry=False)
            assert state[1] == 1
        pool.close()

    async def test_a_chunked_body_arrives_as_its_payload(self) -> None:
        pool = UpstreamPool()
        async with peer(lambda _, __: CHUNKED) as (port, *_):
            assert await _get(pool, port) == b"abcde"
            assert await _get(pool, port) == b"abcde"  # and the connection is still usable
        pool.close()

    async def test_a_peer_that_is_not_there_is_not_sent_anything(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # free, and nobody listens once closed
        with pytest.raises(NotSent):
            await _get(UpstreamPool(), port)

    async def test_a_request_given_up_on_closes_its_connection(self) -> None:
        pool = UpstreamPool()
        async with peer(lambda _, __: b"") as state:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await _get(pool, state[0])
            for _ in range(50):
                if state[2]:
                    break
                await asyncio.sleep(0.02)
            assert state[2] == 1  # not left open, and not kept for reuse
        pool.close()
