"""The relay: moves committed outbox rows to the bus, in `seq` (commit) order.

It wakes as soon as a commit wrote events and also polls as a safety net. On PostgreSQL each
pass holds a per-service advisory lock for its transaction, so any number of replicas can run
a relay: one publishes while the others find the lock taken and wait for the next pass. (Row
locks with SKIP LOCKED would let replicas publish in parallel but out of order.) A relay that
dies after publishing but before marking rows publishes them again: delivery is at least
once, and the consumers' inbox makes the effect exactly once.
"""

import asyncio
import contextlib
import zlib
from datetime import timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import delete, func, select, text, update

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.events.metrics import OUTBOX_BACKLOG, PUBLISH_LATENCY
from tasksync.common.events.tables import EventTables

log = structlog.get_logger("tasksync.events.relay")


class Bus(Protocol):
    async def publish(self, producer: str, envelopes: list[dict[str, Any]]) -> None: ...


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        tables: EventTables,
        bus: Bus,
        *,
        service: str,
        poll_interval: float = 1.0,
        batch_size: int = 500,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.db = db
        self.outbox = tables.outbox
        self.bus = bus
        self.service = service
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.retention = retention
        self._wake = asyncio.Event()
        self._stopping = False
        # Not the writers' outbox lock: relays exclude each other, never the writers.
        self._lock = zlib.crc32(f"tasksync.relay.{service}".encode())

    def wake(self) -> None:
        self._wake.set()

    def stop_soon(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        pruned_at = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                await self.drain()
                failures = 0
                if loop.time() - pruned_at > 3600:
                    await self.prune()
                    pruned_at = loop.time()
            except Exception as exc:
                failures += 1
                log.warning("relay_failed", service=self.service, error=str(exc), failures=failures)
            await self._sleep(min(0.2 * 2**failures, 10) if failures else self.poll_interval)

    async def _sleep(self, seconds: float) -> None:
        """Until the next commit that wrote events, `stop_soon`, or `seconds` pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def drain(self) -> int:
        """Publishes every pending row; returns how many."""
        total = 0
        while True:
            count = await self._relay_batch()
            total += count
            if count < self.batch_size:
                return total

    async def _relay_batch(self) -> int:
        async with self.db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                got = await conn.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self._lock}
                )
                if not got:
                    return 0  # another replica is relaying right now
            rows = (
                await conn.execute(
                    select(self.outbox.c.seq, self.outbox.c.envelope, self.outbox.c.created_at)
                    .where(self.outbox.c.published_at.is_(None))
                    .order_by(self.outbox.c.seq)
                    .limit(self.batch_size)
                )
            ).all()
            if not rows:
                return 0
            await self.bus.publish(self.service, [row.envelope for row in rows])
            now = utcnow()
            await conn.execute(
                update(self.outbox)
                .where(self.outbox.c.seq.in_([row.seq for row in rows]))
                .values(published_at=now)
            )
        for row in rows:
            PUBLISH_LATENCY.labels(self.service).observe((now - row.created_at).total_seconds())
        return len(rows)

    async def measure_backlog(self) -> None:
        async with self.db.engine.connect() as conn:
            backlog = await conn.scalar(
                select(func.count()).where(self.outbox.c.published_at.is_(None))
            )
        OUTBOX_BACKLOG.labels(self.service).set(backlog or 0)

    async def prune(self) -> None:
        """Deletes relayed rows older than the retention period."""
        async with self.db.engine.begin() as conn:
            await conn.execute(
                delete(self.outbox).where(self.outbox.c.published_at < utcnow() - self.retention)
            )
