"""Publishing: an event joins the caller's transaction and is written to the outbox at commit.

Events are collected on the session and inserted just before COMMIT. On PostgreSQL that insert
takes a per-service advisory lock held until the commit, so outbox `seq` order is exactly
commit order (a writer holding a lower `seq` can never commit after a higher one). SQLite
serialises writers already. The lock is held for the insert and the commit only, not the
whole request. After the commit the relay is woken at once.
"""

import zlib
from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Table, event, insert, text
from sqlalchemy.orm import Session

from tasksync.common.clock import utcnow
from tasksync.common.ids import uuid7
from tasksync.contracts.events import Envelope, EventData

_PENDING = "tasksync.outbox.pending"
_WROTE = "tasksync.outbox.wrote"


def publish(
    session: Any, data: EventData, *, actor_id: UUID | None = None, room_id: UUID | None = None
) -> Envelope:
    """Announces `data` if, and only if, the session's transaction commits."""
    envelope = Envelope(
        id=uuid7(),
        type=data.type_name,
        version=data.version,
        occurred_at=utcnow(),
        producer=data.producer,
        actor_id=actor_id,
        room_id=room_id,
        data=data.model_dump(mode="json"),
    )
    session.info.setdefault(_PENDING, []).append(envelope)
    return envelope


def lock_key(service: str) -> int:
    return zlib.crc32(f"tasksync.outbox.{service}".encode())


class Outbox:
    """A service's outbox table, its commit-order lock, and who to wake after a commit that
    wrote to it (the relay). A `Database` is opened with it when the service publishes."""

    def __init__(self, table: Table, *, service: str) -> None:
        self.table = table
        self.lock = lock_key(service)
        self._listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Calls `listener` after every commit that wrote events; returns how to stop."""
        self._listeners.append(listener)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return stop

    def committed(self) -> None:
        for listener in list(self._listeners):
            listener()


class OutboxSession(Session):
    """The session class of every service database; its hooks write and announce events."""


@event.listens_for(OutboxSession, "before_commit")
def _write_outbox(session: Session) -> None:
    pending: list[Envelope] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    outbox: Outbox | None = session.info["database"].outbox
    if outbox is None:
        raise RuntimeError("publish() was called on a database that has no outbox table")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": outbox.lock})
    now = utcnow()
    session.execute(
        insert(outbox.table),
        [
            {
                "event_id": e.id,
                "type": e.type,
                "envelope": e.model_dump(mode="json"),
                "created_at": now,
            }
            for e in pending
        ],
    )
    session.info[_WROTE] = True


@event.listens_for(OutboxSession, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        session.info["database"].outbox.committed()


@event.listens_for(OutboxSession, "after_rollback")
def _forget_events(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_WROTE, None)
