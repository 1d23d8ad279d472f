"""Starts and stops a service's part of the event backbone inside its lifespan."""

import asyncio
import contextlib
from datetime import timedelta
from functools import partial
from typing import Any

import structlog
from redis.asyncio import Redis

from tasksync.common.db import Database
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.events.inbox import EventApplier, apply_with_retries
from tasksync.common.events.local import InProcessBus
from tasksync.common.events.redis_streams import RedisStreamsBus, StreamConsumer
from tasksync.common.events.relay import OutboxRelay
from tasksync.common.events.tables import EventTables
from tasksync.common.settings import EventSettings

log = structlog.get_logger("tasksync.events")


class EventRuntime:
    """The relay of a publishing service and the consumer of a consuming one."""

    def __init__(
        self,
        *,
        service: str,
        db: Database,
        tables: EventTables,
        settings: EventSettings,
        redis: Redis | None,
        local_bus: InProcessBus | None,
        handlers: EventHandlers | None,
    ) -> None:
        self.service = service
        self.db = db
        self.settings = settings
        self.redis = redis
        self.handlers = handlers
        self.bus: Any = (
            RedisStreamsBus(redis, settings.redis_prefix)
            if redis is not None
            else local_bus or InProcessBus()
        )
        self.relay = OutboxRelay(
            db,
            tables,
            self.bus,
            service=service,
            poll_interval=settings.event_poll_interval,
            batch_size=settings.event_batch_size,
            retention=timedelta(days=settings.event_retention_days),
        )
        self.applier = EventApplier(db, tables, handlers) if handlers else None
        self.consumer: StreamConsumer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._stop_waking: Any = None

    async def start(self) -> None:
        assert self.db.outbox is not None, "a publishing service opens its db with an outbox"
        self._stop_waking = self.db.outbox.on_commit(self.relay.wake)
        if self.applier is not None and self.handlers is not None:
            if self.redis is not None:
                self.consumer = StreamConsumer(
                    self.redis,
                    prefix=self.settings.redis_prefix,
                    group=self.service,
                    producers=self.handlers.producers,
                    apply=self.applier.apply,
                    apply_batch=self._batch_applier(),
                    dead_letter=self._dead_letter,
                    max_attempts=self.settings.event_max_attempts,
                    visibility_timeout=self.settings.event_visibility_timeout,
                    block_ms=int(self.settings.event_read_block * 1000),
                )
                with contextlib.suppress(Exception):  # Redis down: run() retries
                    await self.consumer.ensure_groups()
                self._spawn(self.consumer.run(), "consumer")
            else:
                deliver = partial(
                    apply_with_retries,
                    self.applier,
                    attempts=self.settings.event_max_attempts,
                    backoff=self.settings.event_retry_backoff,
                )
                self.bus.subscribe(self.service, self.handlers.types, deliver)
        self._spawn(self.relay.run(), "relay")
        self._spawn(self._maintain(), "maintenance")

    def _batch_applier(self) -> Any:
        # Batches need one transaction per read; on SQLite writers queue anyway, so the
        # per-event path stays (and keeps SQLite free of long write transactions).
        if self.applier is None or self.db.is_sqlite:
            return None
        return self.applier.apply_batch

    async def _dead_letter(self, raw: dict[str, Any], error: str, attempts: int) -> None:
        assert self.applier is not None
        await self.applier.dead_letter(raw, error=error, attempts=attempts)

    def _spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=f"{self.service}-{name}"))

    async def _maintain(self) -> None:
        """Replays requested dead letters; prunes and trims now and then."""
        loop = asyncio.get_running_loop()
        last_housekeeping = loop.time()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.event_poll_interval)
            try:
                if self.applier is not None:
                    await self.applier.replay_requested()
                await self.relay.measure_backlog()
                if loop.time() - last_housekeeping >= 60:
                    last_housekeeping = loop.time()
                    await self.relay.prune()
                    if self.applier is not None:
                        await self.applier.prune_inbox(
                            timedelta(days=self.settings.event_retention_days)
                        )
                    if isinstance(self.bus, RedisStreamsBus):
                        await self.bus.trim(self.service)
                    if self.consumer is not None:
                        await self.consumer.measure_lag()
            except Exception as exc:
                log.warning("event_maintenance_failed", service=self.service, error=str(exc))

    def stop_consuming_soon(self) -> None:
        """Lets the consumer return after its current read, without waiting for it. Called on
        every service of a process before any stops, their reads end together rather than one
        read block after another."""
        if self.consumer is not None:
            self.consumer.stop_soon()

    async def stop(self) -> None:
        """Stops consuming, then relays what is still in the outbox, in bounded time."""
        if self._stop_waking is not None:
            self._stop_waking()
            self._stop_waking = None
        if isinstance(self.bus, InProcessBus):
            self.bus.unsubscribe(self.service)
        self._stopping.set()
        self.relay.stop_soon()
        if self.consumer is not None:
            self.consumer.stop_soon()
        await _finish([*self._tasks], self.settings.event_flush_timeout)
        flush = asyncio.create_task(self.relay.drain(), name=f"{self.service}-flush")
        await _finish([flush], self.settings.event_flush_timeout)


async def _finish(tasks: list[asyncio.Task[Any]], timeout: float) -> None:
    """Waits for tasks with a deadline (not a gather): whatever is still running then, a stuck
    driver call for instance, is cancelled and left behind instead of hanging shutdown."""
    done, late = await asyncio.wait(tasks, timeout=timeout)
    for task in done:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("event_task_failed", task=task.get_name(), error=str(error))
    for task in late:
        task.cancel()
    if late:
        log.warning("event_tasks_cancelled", tasks=[t.get_name() for t in late])
        await asyncio.wait(late, timeout=1)
