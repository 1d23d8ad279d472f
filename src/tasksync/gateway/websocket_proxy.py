"""WebSocket upgrades through the gateway: handed to the mounted app in the embedded stack,
relayed frame by frame to a replica of the owning service in distributed mode.

The relay holds one frame at a time in each direction: a frame from the service is written
to the client before the next is read, so a slow client slows its own upstream socket (and
the service closes it for falling behind), never the gateway's memory. Close codes travel
both ways unchanged: a 1012 from a replica that shuts down reaches the client as 1012.
"""

import asyncio
import contextlib

import structlog
import websockets
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from websockets.asyncio.client import ClientConnection

from tasksync.common import registry
from tasksync.common.client import ReplicaSet
from tasksync.gateway.dispatch import with_client_address

log = structlog.get_logger("tasksync.gateway.websocket")
# Headers the service should see; the WebSocket handshake's own are made anew upstream.
FORWARDED = frozenset({b"origin", b"user-agent", b"x-forwarded-for", b"x-request-id"})
# The largest frame relayed either way; the services' own limits are lower.
MAX_FRAME = 1 << 20
UNAVAILABLE = 1013
GOING_AWAY = 1001


async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
    """Routes an upgrade like a request: the most specific public prefix names the service."""
    service = registry.owner(scope["path"])
    state = scope["app"].state
    if service is None or service == "gateway":
        await send({"type": "websocket.close", "code": 1008})
        return
    mounted: dict[str, ASGIApp] = state.mounted
    if service in mounted:
        await mounted[service](scope, receive, send)
        return
    await relay(scope, receive, send, replicas=state.services.replicas(service))


async def relay(scope: Scope, receive: Receive, send: Send, *, replicas: ReplicaSet) -> None:
    connect = await receive()
    assert connect["type"] == "websocket.connect"
    upstream = await _open(with_client_address(scope), replicas)
    if upstream is None:
        await send({"type": "websocket.close", "code": UNAVAILABLE})
        return
    await send({"type": "websocket.accept"})
    async with upstream:
        to_service = asyncio.create_task(_client_to_service(receive, upstream))
        to_client = asyncio.create_task(_service_to_client(upstream, send))
        _, pending = await asyncio.wait(
            {to_service, to_client}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _open(scope: Scope, replicas: ReplicaSet) -> ClientConnection | None:
    target = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in scope["headers"]
        if name in FORWARDED
    ]
    for base_url in replicas.order():
        url = "ws" + base_url.removeprefix("http") + target.decode("latin-1")
        try:
            return await websockets.connect(
                url,
                additional_headers=headers,
                subprotocols=scope.get("subprotocols") or None,
                max_size=MAX_FRAME,
                # The service pings this leg, the gateway's server pings the client's.
                ping_interval=None,
                open_timeout=5,
                compression=None,
            )
        except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
            replicas.failed(base_url)
            log.warning("websocket_upstream_unreachable", url=base_url, error=str(exc))
    return None


async def _client_to_service(receive: Receive, upstream: ClientConnection) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "websocket.disconnect":
            await upstream.close(message.get("code", 1000) or 1000, message.get("reason") or "")
            return
        if message.get("text") is not None:
            await upstream.send(message["text"])
        elif message.get("bytes") is not None:
            await upstream.send(message["bytes"])


async def _service_to_client(upstream: ClientConnection, send: Send) -> None:
    try:
        async for frame in upstream:
            if isinstance(frame, str):
                await send({"type": "websocket.send", "text": frame})
            else:
                await send({"type": "websocket.send", "bytes": frame})
    except websockets.ConnectionClosed:
        pass
    code, reason = upstream.close_code, upstream.close_reason or ""
    if code is None or code in (1005, 1006):
        code = GOING_AWAY
    with contextlib.suppress(Exception):
        await send({"type": "websocket.close", "code": code, "reason": reason})
