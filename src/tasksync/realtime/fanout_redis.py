"""Distributed mode: sequences, buffers and delivery through Redis, shared by every replica.

The realtime consumer group reads the event streams once for all replicas. The replica that
takes an event runs one Lua script that, atomically, skips an event id it has seen, takes the
room's next number (INCR), appends the message to the room's capped list and PUBLISHes it on
the room's channel (and, for a membership it grants, on the member's channel). Every replica
subscribes (one pub/sub connection) to the channels of the rooms and accounts its sockets
need, so each event reaches each replica that serves the room exactly once. Revocations and
disconnects go on one control channel that every replica reads on that same connection:
Redis delivers a connection's messages in the order they were published, so a revocation is
never overtaken by a later event of the room.
"""

import asyncio
import contextlib
from typing import Any
from uuid import UUID

import orjson
import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from tasksync.realtime import protocol
from tasksync.realtime.fanout import client_event
from tasksync.realtime.hub import Hub
from tasksync.realtime.room_log import now_ms, replay_after

log = structlog.get_logger("tasksync.realtime")

# KEYS: seen-id, room seq, room buffer. ARGV: event json, room id, room channel, member channel
# ('' for none), buffer length, seconds the keys live, seen-id seconds, now in ms.
PUBLISH = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[7]) then return 0 end
local seq = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[6])
local message = '{"type":"event","room_id":"' .. ARGV[2] .. '","seq":' .. seq
    .. ',"event":' .. ARGV[1] .. '}'
redis.call('RPUSH', KEYS[3], seq .. '|' .. ARGV[8] .. '|' .. message)
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
redis.call('EXPIRE', KEYS[3], ARGV[6])
redis.call('PUBLISH', ARGV[3], message)
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], message) end
return seq
"""
# A redelivered event (a failed commit, a reclaimed entry) within this time is pushed once.
SEEN_SECONDS = 3600
RETRY_HINT = "The live service lost its Redis; reconnect in a moment and resume."


class RedisFanout:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        buffer_events: int,
        buffer_seconds: int,
        retention_seconds: int,
    ) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:live"
        self.buffer_events = buffer_events
        self.buffer_ms = buffer_seconds * 1000
        self.retention = retention_seconds
        self.script = redis.register_script(PUBLISH)
        self.control = f"{self.prefix}:control"
        self.available = False
        self.hub: Hub | None = None
        self._wanted: set[str] = {self.control}
        self._subscribed: set[str] = set()
        self._pubsub: PubSub | None = None
        self._sync_lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._syncing: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()

    def channel(self, kind: str, key: UUID | str) -> str:
        return f"{self.prefix}:{kind}:{key}"

    async def start(self, hub: Hub) -> None:
        self.hub = hub
        self._listener = asyncio.create_task(self._listen(), name="live-pubsub")
        with contextlib.suppress(TimeoutError):  # Redis down: the listener keeps trying
            await asyncio.wait_for(self._ready.wait(), 5)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def publish(
        self, *, event_id: str, room_id: UUID, event: dict[str, Any], grant: UUID | None = None
    ) -> None:
        # A grant also travels on the member's own channel: the replicas serving the member
        # subscribe it to the room (and serve the room from then on).
        member = self.channel("user", grant) if grant is not None else ""
        await self.script(
            keys=[
                f"{self.prefix}:seen:{event_id}",
                f"{self.prefix}:seq:{room_id}",
                f"{self.prefix}:buffer:{room_id}",
            ],
            args=[
                client_event(event),
                str(room_id),
                self.channel("room", room_id),
                member,
                self.buffer_events,
                self.retention,
                SEEN_SECONDS,
                now_ms(),
            ],
        )

    async def personal(self, user_id: UUID, text: str) -> None:
        await self.redis.publish(self.channel("user", user_id), text)

    async def revoke(self, room_id: UUID, user_id: UUID | None) -> None:
        message = {"kind": "revoke", "room_id": str(room_id), "user_id": user_id and str(user_id)}
        await self.redis.publish(self.control, orjson.dumps(message))

    async def disconnect(self, user_id: UUID, code: int, reason: str) -> None:
        message = {"kind": "disconnect", "user_id": str(user_id), "code": code, "reason": reason}
        await self.redis.publish(self.control, orjson.dumps(message))

    async def replay(self, room_id: UUID, after: int) -> list[tuple[int, str]] | None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(f"{self.prefix}:seq:{room_id}")
            pipe.lrange(f"{self.prefix}:buffer:{room_id}", 0, -1)
            last, raw = await pipe.execute()
        entries = []
        for item in raw:
            seq, at, text = item.decode().split("|", 2)
            entries.append((int(seq), int(at), text))
        return replay_after(
            entries, after=after, last_seq=int(last or 0), oldest_ms=now_ms() - self.buffer_ms
        )

    def watch(self, kind: str, key: UUID) -> None:
        self._wanted.add(self.channel(kind, key))
        self._sync_soon()

    def unwatch(self, kind: str, key: UUID) -> None:
        self._wanted.discard(self.channel(kind, key))
        self._sync_soon()

    def _sync_soon(self) -> None:
        if self._pubsub is not None:
            task = asyncio.create_task(self._sync(self._pubsub))
            self._syncing.add(task)
            task.add_done_callback(self._syncing.discard)

    async def _sync(self, pubsub: PubSub) -> None:
        try:
            await self._subscribe(pubsub)
        except Exception as exc:  # the listener sees the broken connection too
            log.warning("live_subscribe_failed", error=str(exc))

    async def _subscribe(self, pubsub: PubSub) -> None:
        """Brings the subscriptions to what the hub wants (one change at a time)."""
        async with self._sync_lock:
            wanted = set(self._wanted)
            if added := wanted - self._subscribed:
                await pubsub.subscribe(*added)
            if dropped := self._subscribed - wanted:
                await pubsub.unsubscribe(*dropped)
            self._subscribed = wanted

    async def _listen(self) -> None:
        failures = 0
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                self._subscribed = set()
                await self._subscribe(pubsub)
                self._pubsub = pubsub
                self.available = True
                self._ready.set()
                failures = 0
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        self._dispatch(message["channel"].decode(), message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if self.available:
                    log.warning("live_redis_lost", error=str(exc))
                self.available = False
                self._pubsub = None
                if self.hub is not None:
                    self.hub.close_all(protocol.TRY_AGAIN, RETRY_HINT)
                await asyncio.sleep(min(0.1 * 2**failures, 5))
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _dispatch(self, channel: str, data: bytes) -> None:
        hub = self.hub
        if hub is None:
            return
        message = orjson.loads(data)
        if channel == self.control:
            if message["kind"] == "revoke":
                user = message.get("user_id")
                hub.revoke(UUID(message["room_id"]), UUID(user) if user else None)
            elif message["kind"] == "disconnect":
                hub.disconnect(UUID(message["user_id"]), message["code"], message["reason"])
            return
        text = data.decode()
        kind, key = channel.rsplit(":", 2)[1:]
        if message.get("type") == "event" and message.get("room_id"):
            room_id = UUID(message["room_id"])
            if kind == "user":  # a membership granted to this account
                hub.grant(room_id, UUID(key))
            hub.deliver(room_id, message["seq"], text, message["event"])
        else:
            hub.deliver_personal(UUID(key), text)
