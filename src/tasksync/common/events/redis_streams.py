"""The distributed transport: Redis Streams.

One stream per producing service (`<prefix>:events:<service>`), one consumer group per
consuming service, so every service sees each event once however many replicas it runs.
An entry is acknowledged only after its handler's transaction committed. Entries a consumer
left pending (it failed, or died) are claimed again once idle for the visibility timeout,
doubling the wait after each attempt; after `max_attempts` the event goes to the consumer's
dead-letter table and the entry is acknowledged, so the rest keep flowing. Streams are
trimmed only below what every group has read and acknowledged.
"""

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tasksync.common.events.metrics import CONSUMER_LAG

log = structlog.get_logger("tasksync.events.redis")
FIELD = b"envelope"


def stream_name(prefix: str, producer: str) -> str:
    return f"{prefix}:events:{producer}"


class RedisStreamsBus:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def publish(self, producer: str, envelopes: list[dict[str, Any]]) -> None:
        stream = stream_name(self.prefix, producer)
        async with self.redis.pipeline(transaction=False) as pipe:
            for envelope in envelopes:
                pipe.xadd(stream, {FIELD: orjson.dumps(envelope)})
            await pipe.execute()

    async def trim(self, producer: str) -> None:
        """Drops entries every group has read and acknowledged, never one still needed."""
        stream = stream_name(self.prefix, producer)
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:
            return  # no stream yet
        if not groups:
            return
        floor: list[tuple[int, int]] = []
        for group in groups:
            pending = await self.redis.xpending(stream, group["name"])
            oldest = pending["min"] if pending["pending"] else group["last-delivered-id"]
            floor.append(_entry_key(oldest))
        low = min(floor)
        if low > (0, 0):
            await self.redis.xtrim(stream, minid=f"{low[0]}-{low[1]}", approximate=False)


def _entry_key(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


Apply = Callable[[dict[str, Any]], Awaitable[Any]]
ApplyBatch = Callable[[list[dict[str, Any]]], Awaitable[bool]]
DeadLetter = Callable[[dict[str, Any], str, int], Awaitable[None]]


class StreamConsumer:
    """One consumer of a group; run as many as there are replicas."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        group: str,
        producers: frozenset[str],
        apply: Apply,
        dead_letter: DeadLetter,
        apply_batch: ApplyBatch | None = None,
        max_attempts: int = 5,
        visibility_timeout: float = 30.0,
        block_ms: int = 250,
        batch: int = 100,
    ) -> None:
        self.redis = redis
        self.group = group
        self.streams = [stream_name(prefix, p) for p in sorted(producers)]
        self.apply = apply
        self.apply_batch = apply_batch
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        self.visibility_ms = int(visibility_timeout * 1000)
        self.block_ms = block_ms
        self.batch = batch
        self.name = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._errors: dict[bytes, str] = {}
        self._stopping = False

    def stop_soon(self) -> None:
        """Finishes the entry in hand, then returns from `run` (within one read block)."""
        self._stopping = True

    async def ensure_groups(self) -> None:
        for stream in self.streams:
            try:
                # From the start of the stream: events published before this group existed
                # are still delivered.
                await self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        claimed_at = 0.0
        failures = 0
        while not self._stopping:
            try:
                if failures:
                    await self.ensure_groups()  # Redis may have restarted empty
                if loop.time() - claimed_at >= self.visibility_ms / 2000:
                    await self.reclaim()
                    claimed_at = loop.time()
                await self.read_new()
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("consumer_failed", group=self.group, error=str(exc), failures=failures)
                await asyncio.sleep(min(0.2 * 2**failures, 10))

    async def read_new(self) -> None:
        # A short block keeps `stop_soon` quick; interrupting the read itself (cancelling it)
        # is not reliable in the Redis client.
        block = min(self.block_ms, max(self.visibility_ms // 2, 10))
        replies = await self.redis.xreadgroup(
            self.group, self.name, dict.fromkeys(self.streams, ">"), count=self.batch, block=block
        )
        for stream, entries in replies or []:
            if len(entries) > 1 and await self._batch(entries):
                done = [entry_id for entry_id, _ in entries]
            else:
                done = [
                    entry_id
                    for entry_id, fields in entries
                    if await self._process(stream, entry_id, fields)
                ]
            if done:
                await self.redis.xack(stream, self.group, *done)

    async def _batch(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> bool:
        """Applies a whole read in one go when the service can; False to go one by one."""
        if self.apply_batch is None:
            return False
        try:
            envelopes = [orjson.loads(fields[FIELD]) for _, fields in entries]
        except (KeyError, orjson.JSONDecodeError):
            return False  # one by one: the unreadable entry is dead-lettered there
        return await self.apply_batch(envelopes)

    async def _process(
        self, stream: bytes | str, entry_id: bytes, fields: dict[bytes, bytes]
    ) -> bool:
        """Applies one entry; True when it may be acknowledged."""
        try:
            envelope = orjson.loads(fields[FIELD])
        except (KeyError, orjson.JSONDecodeError):
            await self.dead_letter({"id": None, "type": "unreadable"}, "entry is not an event", 1)
            return True
        try:
            await self.apply(envelope)
        except Exception as exc:
            self._errors[entry_id] = repr(exc)
            log.warning(
                "event_handler_failed", group=self.group, type=envelope.get("type"), error=repr(exc)
            )
            return False  # stays pending; reclaimed after the visibility timeout
        self._errors.pop(entry_id, None)
        return True

    async def reclaim(self) -> None:
        """Takes over entries pending too long (failed here, or left by a dead consumer)."""
        for stream in self.streams:
            pending = await self.redis.xpending_range(
                stream, self.group, min="-", max="+", count=self.batch, idle=self.visibility_ms
            )
            for item in pending:
                entry_id, attempts = item["message_id"], item["times_delivered"]
                wait = self.visibility_ms * 2 ** (attempts - 1)
                if attempts < self.max_attempts and item["time_since_delivered"] < wait:
                    continue
                claimed = await self.redis.xclaim(
                    stream,
                    self.group,
                    self.name,
                    min_idle_time=self.visibility_ms,
                    message_ids=[entry_id],
                )
                for claimed_id, fields in claimed:
                    if fields is None:
                        continue  # trimmed away
                    if attempts >= self.max_attempts:
                        await self._give_up(stream, claimed_id, fields, attempts)
                    elif await self._process(stream, claimed_id, fields):
                        await self.redis.xack(stream, self.group, claimed_id)

    async def _give_up(
        self, stream: str, entry_id: bytes, fields: dict[bytes, bytes], attempts: int
    ) -> None:
        error = self._errors.pop(entry_id, "the consumer handling it failed or died")
        try:
            envelope = orjson.loads(fields[FIELD])
        except (KeyError, orjson.JSONDecodeError):
            envelope = {"id": None, "type": "unreadable"}
        await self.dead_letter(envelope, error, attempts)
        await self.redis.xack(stream, self.group, entry_id)

    async def measure_lag(self) -> None:
        for stream in self.streams:
            try:
                groups = await self.redis.xinfo_groups(stream)
            except ResponseError:
                continue
            for group in groups:
                if _name(group["name"]) == self.group and group.get("lag") is not None:
                    CONSUMER_LAG.labels(self.group, stream).set(group["lag"])


def _name(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
