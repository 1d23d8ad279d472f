"""Real WebSocket clients of `/api/v1/live`, for tests."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import websockets
from websockets.asyncio.client import ClientConnection

# Generous: a failing test waits this long for a message that never comes.
WAIT = 15.0


def live_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/api/v1/live"


async def receive(socket: ClientConnection, *, timeout: float = WAIT) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(socket.recv(), timeout))


async def receive_until(
    socket: ClientConnection, kind: str, *, timeout: float = WAIT
) -> list[dict[str, Any]]:
    """Every message up to and including the first of type `kind`."""
    seen = []
    while True:
        message = await receive(socket, timeout=timeout)
        seen.append(message)
        if message["type"] == kind:
            return seen


async def events_until(
    socket: ClientConnection, event_type: str, *, timeout: float = WAIT
) -> list[dict[str, Any]]:
    """Every pushed event up to and including the first of that event type."""
    seen = []
    while True:
        message = await receive(socket, timeout=timeout)
        if message["type"] == "event":
            seen.append(message)
            if message["event"]["type"] == event_type:
                return seen


async def closed_with(socket: ClientConnection, *, timeout: float = WAIT) -> int | None:
    """Reads until the server closes the socket; its close code."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), timeout)
    except websockets.ConnectionClosed:
        pass
    return socket.close_code


@asynccontextmanager
async def live_socket(
    base_url: str, token: str | None, **auth: Any
) -> AsyncIterator[tuple[ClientConnection, dict[str, Any]]]:
    """A signed-in socket and the server's `ready` message."""
    async with websockets.connect(live_url(base_url), ping_interval=None) as socket:
        await socket.send(orjson.dumps({"type": "auth", "token": token, **auth}).decode())
        ready = await receive(socket)
        assert ready["type"] == "ready", ready
        yield socket, ready
