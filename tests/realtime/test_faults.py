"""What clients see when something goes wrong: a client too slow to keep up, Redis gone."""

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from tests.helpers.live import closed_with, events_until, live_socket, live_url, receive_until
from tests.helpers.redis_server import PrivateRedis
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.realtime.conftest import Serve
from tests.realtime.test_live import assert_gap_free, pair_in_room, update_task

LONG = "x" * 19_990


class StalledClient:
    """A WebSocket client over a plain socket with a tiny receive buffer, which signs in
    and then reads nothing until told to (websockets' sans-I/O protocol does the framing)."""

    def __init__(self, base_url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(live_url(base_url)))
        port = int(base_url.rsplit(":", 1)[1])
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.socket.connect(("127.0.0.1", port))
        self.socket.setblocking(False)

    async def sign_in(self, token: str) -> None:
        loop = asyncio.get_running_loop()
        self.protocol.send_request(self.protocol.connect())
        await self._flush()
        while self.protocol.handshake_exc is None and not self.protocol.events_received():
            if self.protocol.state is not State.CONNECTING:
                break
            self.protocol.receive_data(await loop.sock_recv(self.socket, 4096))
        self.protocol.send_text(orjson.dumps({"type": "auth", "token": token}))
        await self._flush()

    async def close_code(self) -> int | None:
        """Reads what the server sent until its close frame (or the end); the frame's code.
        (The server then waits for a close answer this client never sends.)"""
        loop = asyncio.get_running_loop()
        while self.protocol.close_rcvd is None and (
            data := await asyncio.wait_for(loop.sock_recv(self.socket, 65536), 15)
        ):
            self.protocol.receive_data(data)
            self.protocol.events_received()
        received = self.protocol.close_rcvd
        return received.code if received is not None else None

    async def texts_until(self, last: str) -> list[dict[str, Any]]:
        """Reads the server's messages until one contains `last`."""
        loop = asyncio.get_running_loop()
        seen: list[dict[str, Any]] = []
        while not seen or last not in orjson.dumps(seen[-1]).decode():
            self.protocol.receive_data(
                await asyncio.wait_for(loop.sock_recv(self.socket, 65536), 15)
            )
            frames = self.protocol.events_received()
            seen += [orjson.loads(f.data) for f in frames if f.opcode is Opcode.TEXT]
        return seen

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        for chunk in self.protocol.data_to_send():
            await loop.sock_sendall(self.socket, chunk)


class TestSlowClient:
    async def test_a_client_that_does_not_read_is_closed_and_the_others_get_everything(
        self, serve: Serve
    ) -> None:
        async with (
            serve(live_send_queue=4, send_buffer=4096) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            ann, bob, room = await pair_in_room(http)
            task = await create_task(http, ann, room["id"])
            stalled = StalledClient(url)
            await stalled.sign_in(bob.access_token)
            async with live_socket(url, ann.access_token) as (reader, _):
                # Far more than the socket buffers, the server's write buffer and the queue.
                for number in range(15):
                    await update_task(http, ann, task["id"], description=f"{number}{LONG}")
                await update_task(http, ann, task["id"], title="last")
                assert await stalled.close_code() == 4008
                seen = await _until_title(reader, "last")
        descriptions = [m for m in seen if "description" in m["event"]["data"]["changes"]]
        assert len(descriptions) == 15

    async def test_a_client_that_catches_up_gets_every_event_in_order(self, serve: Serve) -> None:
        async with (
            serve(send_buffer=4096) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            ann, bob, room = await pair_in_room(http)
            task = await create_task(http, ann, room["id"])
            behind = StalledClient(url)
            await behind.sign_in(bob.access_token)
            # More than the socket buffers and the server's write buffer: the server queues.
            for number in range(8):
                await update_task(http, ann, task["id"], description=f"{number}{LONG}")
            await update_task(http, ann, task["id"], title="caught up")
            caught_up = await behind.texts_until('"title":"caught up"')
            # Then writes are direct again.
            await update_task(http, ann, task["id"], title="after")
            seen = caught_up + await behind.texts_until('"title":"after"')
            behind.socket.close()
        events = [m for m in seen if m["type"] == "event"]
        assert_gap_free(events)
        updates = [
            m["event"]["data"]["changes"] for m in events if m["event"]["type"] == "task.updated"
        ]
        assert [c.get("description", c.get("title"))[:1] for c in updates] == [
            *"01234567",
            "c",
            "a",
        ]


async def _until_title(reader: Any, title: str) -> list[dict[str, Any]]:
    seen = []
    while True:
        message = (await events_until(reader, "task.updated"))[-1]
        seen.append(message)
        if message["event"]["data"]["changes"].get("title") == title:
            return seen


@pytest.fixture
def private_redis(tmp_path: Path, backend: str) -> Iterator[PrivateRedis]:
    if backend == "sqlite":
        pytest.skip("the embedded mode without Redis has no Redis to lose")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class TestRedisOutage:
    async def test_sockets_close_with_a_retry_hint_and_reconnect_with_resume_once_it_is_back(
        self, serve: Serve, private_redis: PrivateRedis
    ) -> None:
        async with (
            serve(redis_url=private_redis.url) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            ann, bob, room = await pair_in_room(http)
            async with live_socket(url, bob.access_token) as (socket_, _):
                await create_task(http, ann, room["id"], "before")
                last = (await events_until(socket_, "task.created"))[-1]["seq"]
                private_redis.stop()
                assert await closed_with(socket_) == 1013
                assert "reconnect" in (socket_.close_reason or "")
            private_redis.start()

            async def reconnected() -> list[dict[str, Any]] | None:
                try:
                    async with live_socket(url, bob.access_token) as (again, _):
                        await again.send(
                            orjson.dumps(
                                {"type": "resume", "room_id": room["id"], "after": last}
                            ).decode()
                        )
                        return await receive_until(again, "reset")
                except (AssertionError, websockets.ConnectionClosed, OSError):
                    return None

            # Redis came back empty: what the room kept is gone, so the client refetches.
            seen = await eventually(reconnected, timeout=30)
        assert seen[-1] == {"type": "reset", "room_id": room["id"]}
