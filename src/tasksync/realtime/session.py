"""One socket's conversation: `auth` first, then `auth` (a fresh token), `subscribe`,
`resume` and `ping` until either side closes (docs/realtime.md)."""

import asyncio
import contextlib
import time
from typing import Any
from uuid import UUID

import orjson
import structlog
from starlette.types import Message
from starlette.websockets import WebSocket

from tasksync.common.auth import Principal, TokenVerifier
from tasksync.common.errors import DomainError
from tasksync.common.revocations import Revocations
from tasksync.realtime import protocol, service
from tasksync.realtime.connection import Connection
from tasksync.realtime.live import Live

log = structlog.get_logger("tasksync.realtime")


class Refused(Exception):
    """Ends the conversation with a close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Session:
    __slots__ = (
        "live",
        "revocations",
        "settings",
        "verifier",
        "websocket",
        "window_count",
        "window_start",
    )

    def __init__(self, websocket: WebSocket, live: Live) -> None:
        self.websocket = websocket
        self.live = live
        self.settings = live.settings
        state = websocket.app.state
        self.verifier: TokenVerifier = state.verifier
        self.revocations: Revocations = state.revocations
        self.window_start = time.monotonic()
        self.window_count = 0

    async def run(self) -> None:
        await self.websocket.accept()
        connection: Connection | None = None
        try:
            # The auth message is not kept: it would stay referenced here for the socket's life.
            principal = await self._authenticate(
                await self._receive(self.settings.live_auth_timeout, "auth")
            )
            connection = await self._join(principal)
            await self._converse(connection)
        except Refused as refused:
            if connection is not None:
                connection.close(refused.code, refused.reason)
            else:
                with contextlib.suppress(Exception):
                    await self.websocket.close(refused.code, refused.reason)
        finally:
            if connection is not None:
                self.live.hub.detach(connection)
                await connection.stop()

    async def _join(self, principal: Principal) -> Connection:
        hub, settings = self.live.hub, self.settings
        if not self.live.fanout.available:
            raise Refused(protocol.TRY_AGAIN, "Live updates are unavailable; try again soon.")
        if hub.count(principal.id) >= settings.live_connections_per_user:
            raise Refused(protocol.POLICY, "Too many live connections for this account.")
        connection = Connection(self.websocket, principal, queue_size=settings.live_send_queue)
        connection.revoked_while_joining, connection.early = set(), []
        hub.attach(connection, set())
        try:
            rooms = await service.rooms_of(self.live.kit, principal)
        except DomainError as exc:
            hub.detach(connection)
            raise Refused(protocol.TRY_AGAIN, exc.detail) from exc
        for room_id in rooms - connection.revoked_while_joining:
            hub.subscribe(connection, room_id)
        ready = {
            "type": "ready",
            "user_id": str(principal.id),
            "rooms": sorted(str(room) for room in connection.rooms),
        }
        connection.start(protocol.dump(ready))
        return connection

    async def _converse(self, connection: Connection) -> None:
        """Reads the client's messages in this task, which is the socket's only one while it
        is idle. What ends the wait from outside: the token's expiry (a timer closes the
        socket, and the client's answer to the close ends the loop), and a close frame
        that could not be written (`on_stuck`: the client reads nothing)."""
        task = asyncio.current_task()
        assert task is not None
        stuck = False

        def wake() -> None:
            nonlocal stuck
            stuck = True
            task.cancel()

        connection.on_stuck = wake
        principal = connection.principal
        expiry = self._expiry(connection)
        try:
            while connection.close_code is None:
                message = await self.websocket.receive()
                await self._handle(connection, self._parse(message))
                if connection.principal is not principal:
                    principal = connection.principal
                    expiry.cancel()
                    expiry = self._expiry(connection)
        except asyncio.CancelledError:
            if not stuck:
                raise
            task.uncancel()
        finally:
            connection.on_stuck = None
            expiry.cancel()

    @staticmethod
    def _expiry(connection: Connection) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(
            max(0.0, connection.principal.expires_at - time.time()),
            connection.close,
            protocol.AUTH_FAILED,
            "The access token expired; send a fresh one.",
        )

    async def _receive(self, timeout: float, waiting_for: str) -> dict[str, Any]:
        try:
            message = await asyncio.wait_for(self.websocket.receive(), timeout)
        except TimeoutError as exc:
            raise Refused(protocol.AUTH_FAILED, f"No {waiting_for} message in time.") from exc
        return self._parse(message)

    def _parse(self, message: Message) -> dict[str, Any]:
        if message["type"] == "websocket.disconnect":
            raise Refused(1000, "")
        raw = message.get("text") or message.get("bytes") or b""
        if len(raw) > self.settings.live_max_message_bytes:
            raise Refused(protocol.POLICY, "Message too large.")
        self._count_message()
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Refused(protocol.POLICY, "Messages are JSON objects.") from exc
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            raise Refused(protocol.POLICY, "Messages are JSON objects with a `type`.")
        return parsed

    def _count_message(self) -> None:
        now = time.monotonic()
        if now - self.window_start >= 10:
            self.window_start, self.window_count = now, 0
        self.window_count += 1
        if self.window_count > self.settings.live_messages_per_10s:
            raise Refused(protocol.POLICY, "Too many messages; slow down.")

    async def _authenticate(self, message: dict[str, Any]) -> Principal:
        token = message.get("token")
        if message["type"] != "auth" or not isinstance(token, str) or not token:
            raise Refused(protocol.AUTH_FAILED, "Send {type: auth, token} first.")
        try:
            principal = await self.verifier.verify(token)
            await self.revocations.check(
                user_id=principal.id,
                session_id=principal.session_id,
                issued_at=principal.issued_at,
            )
        except DomainError as exc:
            raise Refused(protocol.AUTH_FAILED, exc.detail) from exc
        return principal

    async def _handle(self, connection: Connection, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "auth":
            principal = await self._authenticate(message)
            if principal.id != connection.user_id:
                raise Refused(protocol.AUTH_FAILED, "A fresh token must be for the same account.")
            connection.principal = principal
        elif kind == "subscribe":
            try:
                await self._subscribe(connection, message.get("rooms"))
            except DomainError as exc:  # rooms did not answer: the socket stays as it was
                connection.send(protocol.error(exc.detail))
        elif kind == "resume":
            await self._resume(connection, message.get("room_id"), message.get("after"))
        elif kind == "ping":
            connection.send(protocol.dump({"type": "pong"}))
        else:
            raise Refused(protocol.POLICY, f"Unknown message type {kind!r}.")

    async def _subscribe(self, connection: Connection, rooms: Any) -> None:
        hub = self.live.hub
        if rooms is None:
            wanted = await service.rooms_of(self.live.kit, connection.principal)
            connection.narrowed = None
        else:
            asked = _room_ids(rooms)
            if asked is None or len(asked) > service.MAX_SUBSCRIBE:
                raise Refused(protocol.POLICY, "`rooms` is a list of up to 200 room ids.")
            wanted = await service.member_rooms(self.live.kit, connection.principal, asked)
            connection.narrowed = set(asked)
        for room_id in connection.rooms - wanted:
            hub.unsubscribe(connection, room_id, "narrowed")
        for room_id in wanted:
            hub.subscribe(connection, room_id)
        rooms_now = sorted(str(room) for room in connection.rooms)
        connection.send(protocol.dump({"type": "subscribed", "rooms": rooms_now}))

    async def _resume(self, connection: Connection, room: Any, after: Any) -> None:
        room_ids = _room_ids([room])
        if not room_ids or not isinstance(after, int) or isinstance(after, bool):
            raise Refused(protocol.POLICY, "`resume` takes a `room_id` and an integer `after`.")
        room_id = next(iter(room_ids))
        if room_id not in connection.rooms:
            # The same answer whether the room exists or not.
            connection.send(protocol.error("Not subscribed to that room.", room_id=str(room_id)))
            return
        connection.held[room_id] = []
        try:
            entries = await self.live.fanout.replay(room_id, after)
        finally:
            held = connection.held.pop(room_id, [])
        if room_id not in connection.rooms:
            return  # removed while the replay was read
        if entries is None:
            connection.last_seq[room_id] = 0
            connection.send(protocol.reset(room_id))
        else:
            connection.last_seq[room_id] = after
            for seq, text in entries:
                connection.push(room_id, seq, text)
        for seq, text in held:
            connection.push(room_id, seq, text)


def _room_ids(values: Any) -> set[UUID] | None:
    if not isinstance(values, list):
        return None
    try:
        return {UUID(str(value)) for value in values}
    except ValueError:
        return None
