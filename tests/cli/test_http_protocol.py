"""The HTTP protocol the servers run: responses gathered into one write stay whole and in
order, on kept-alive connections, when the connection closes, and when streamed."""

import asyncio

from starlette.types import Receive, Scope, Send

from tests.helpers.servers import running_server


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for n in range(3):
            await send({"type": "http.response.body", "body": b"part%d;" % n, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b"end"})
        return
    body = scope["path"].encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _exchange(base_url: str, raw: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(raw)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), timeout=5)  # until the server closes
    finally:
        writer.close()


def _get(path: str, *, close: bool = False) -> bytes:
    connection = b"close" if close else b"keep-alive"
    return b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: %s\r\n\r\n" % (path.encode(), connection)


class TestOneWritePerTurn:
    async def test_kept_alive_responses_arrive_whole_and_in_order(self) -> None:
        async with running_server(_app, lifespan="off") as url:
            answer = await _exchange(url, _get("/first") + _get("/second", close=True))
        head_one, rest = answer.split(b"\r\n\r\n", 1)
        assert head_one.startswith(b"HTTP/1.1 200")
        assert rest.startswith(b"/first")
        assert rest.endswith(b"\r\n\r\n/second")

    async def test_a_response_is_sent_before_its_connection_closes(self) -> None:
        async with running_server(_app, lifespan="off") as url:
            answer = await _exchange(url, _get("/only", close=True))
        assert answer.startswith(b"HTTP/1.1 200")
        assert answer.endswith(b"\r\n\r\n/only")

    async def test_a_streamed_response_arrives_in_order(self) -> None:
        async with running_server(_app, lifespan="off") as url:
            answer = await _exchange(url, _get("/stream", close=True))
        body = answer.split(b"\r\n\r\n", 1)[1]
        assert _unchunked(body) == b"part0;part1;part2;end"


def _unchunked(body: bytes) -> bytes:
    """The payload of a chunked body (size line, chunk, CRLF, ..., a last chunk of 0)."""
    payload = b""
    while True:
        size_line, body = body.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            return payload
        payload, body = payload + body[:size], body[size + 2 :]
