"""Applying an event exactly once: the inbox record and the handlers' changes share one
transaction, so an event seen twice (redelivery, a second replica, a replay) does nothing more.
Events that keep failing go to the dead-letter table in the consumer's own database, where an
operator can look at them and ask for a replay."""

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.db import Database, upsert
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.events.metrics import DEAD_LETTERS, DELIVERY_LATENCY, HANDLER_FAILURES
from tasksync.common.events.tables import EventTables
from tasksync.common.ids import uuid7
from tasksync.contracts.events import Envelope

log = structlog.get_logger("tasksync.events.inbox")


class EventApplier:
    def __init__(self, db: Database, tables: EventTables, handlers: EventHandlers) -> None:
        self.db = db
        self.tables = tables
        self.handlers = handlers
        self.service = handlers.service

    async def apply(self, raw: dict[str, Any]) -> bool:
        """Runs the handlers for one event; False when it had been applied before."""
        envelope = Envelope.model_validate(raw)
        if not self._handled(envelope):
            return True
        async with self.db.sessionmaker() as session, session.begin():
            if not await self._record(session, [envelope]):
                return False
            await self.handlers.prepare(session, [envelope])
            await self._handle(session, envelope)
            await self.handlers.finish(session)
        self._observe([envelope])
        return True

    async def apply_batch(self, raws: list[dict[str, Any]]) -> bool:
        """Applies several events in one transaction (one inbox insert, one commit): much
        cheaper per event. False, with nothing applied, when any of them failed; the caller
        then applies them one by one, so that one bad event does not hold up the others."""
        try:
            envelopes = [e for e in map(Envelope.model_validate, raws) if self._handled(e)]
            if not envelopes:
                return True
            async with self.db.sessionmaker() as session, session.begin():
                fresh = await self._record(session, envelopes)
                todo = []
                for envelope in envelopes:
                    if envelope.id in fresh:
                        fresh.discard(envelope.id)  # the same event twice in one batch
                        todo.append(envelope)
                await self.handlers.prepare(session, todo)
                for envelope in todo:
                    await self._handle(session, envelope)
                await self.handlers.finish(session)
        except Exception as exc:
            log.info("event_batch_failed", service=self.service, size=len(raws), error=repr(exc))
            return False
        self._observe(envelopes)
        return True

    def _handled(self, envelope: Envelope) -> bool:
        """Whether this service does anything with the event. One it does nothing with is
        acknowledged without a transaction or an inbox row: applying it twice changes nothing
        either (a stream carries every event of its producer: comments reads every task
        status change for the few task events it keeps)."""
        return bool(self.handlers.for_type(envelope.type))

    async def _handle(self, session: AsyncSession, envelope: Envelope) -> None:
        model = self.handlers.model(envelope.type)
        assert model is not None  # registered with its handlers (EventHandlers.on)
        handlers = self.handlers.for_type(envelope.type)
        event = Event(envelope, model.model_validate(envelope.data))
        try:
            for handler in handlers:
                await handler(session, event)
        except Exception:
            HANDLER_FAILURES.labels(self.service, envelope.type).inc()
            raise

    def _observe(self, envelopes: list[Envelope]) -> None:
        now = utcnow()
        for envelope in envelopes:
            DELIVERY_LATENCY.labels(self.service, envelope.type).observe(
                (now - envelope.occurred_at).total_seconds()
            )

    async def _record(self, session: AsyncSession, envelopes: list[Envelope]) -> set[UUID]:
        """Records the events in the inbox; returns the ids that were not there before."""
        inbox = self.tables.inbox
        now = utcnow()
        rows = [{"event_id": e.id, "type": e.type, "processed_at": now} for e in envelopes]
        result = await session.execute(
            upsert(session, inbox)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(inbox.c.event_id)
        )
        return set(result.scalars())

    async def dead_letter(self, raw: dict[str, Any], *, error: str, attempts: int) -> None:
        table = self.tables.dead_letters
        event_id = UUID(str(raw["id"])) if raw.get("id") else uuid7()
        event_type = str(raw.get("type", "unknown"))
        DEAD_LETTERS.labels(self.service, event_type).inc()
        log.error("event_dead_lettered", service=self.service, type=event_type, error=error)
        async with self.db.sessionmaker() as session, session.begin():
            await session.execute(delete(table).where(table.c.event_id == event_id))
            await session.execute(
                insert(table).values(
                    event_id=event_id,
                    type=event_type,
                    envelope=raw,
                    error=error[:4000],
                    attempts=attempts,
                    failed_at=utcnow(),
                )
            )

    async def replay_requested(self) -> int:
        """Applies dead letters an operator asked to replay; returns how many succeeded."""
        table = self.tables.dead_letters
        async with self.db.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(table.c.event_id, table.c.envelope, table.c.attempts)
                    .where(table.c.replay_requested_at.is_not(None))
                    .order_by(table.c.failed_at)
                    .limit(100)
                )
            ).all()
        done = 0
        for row in rows:
            try:
                await self.apply(row.envelope)
            except Exception as exc:
                async with self.db.sessionmaker() as session, session.begin():
                    await session.execute(
                        update(table)
                        .where(table.c.event_id == row.event_id)
                        .values(
                            replay_requested_at=None,
                            error=f"replay failed: {exc!r}"[:4000],
                            attempts=row.attempts + 1,
                            failed_at=utcnow(),
                        )
                    )
                continue
            async with self.db.sessionmaker() as session, session.begin():
                await session.execute(delete(table).where(table.c.event_id == row.event_id))
            done += 1
        return done

    async def prune_inbox(self, retention: timedelta) -> None:
        """Forgets applied events older than any redelivery could be."""
        inbox = self.tables.inbox
        async with self.db.sessionmaker() as session, session.begin():
            await session.execute(delete(inbox).where(inbox.c.processed_at < utcnow() - retention))


async def apply_with_retries(
    applier: EventApplier, raw: dict[str, Any], *, attempts: int, backoff: float
) -> None:
    """In-process delivery: retry with backoff, then dead-letter, so later events flow on."""
    for attempt in range(1, attempts + 1):
        try:
            await applier.apply(raw)
            return
        except Exception as exc:
            log.warning(
                "event_handler_failed", type=raw.get("type"), attempt=attempt, error=repr(exc)
            )
            if attempt == attempts:
                await applier.dead_letter(raw, error=repr(exc), attempts=attempt)
                return
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
