"""Publishing: an event joins the caller's transaction and is written to the outbox at commit.

Events are collected on the session and inserted just before COMMIT. On PostgreSQL that insert
takes a per-service advisory lock held until the commit, so outbox `seq` order is exactly
commit order (a writer holding a lower `seq` can never commit after a higher one). SQLite
serialises writers already. The lock is held for the insert and the commit only, not the
whole request. After the commit the relay is woken at once.
"""

import zlib
from typing import Any
from uuid import UUID

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session

from tasksync.common.clock import utcnow
from tasksync.common.events.catalog import Envelope, EventData
from tasksync.common.ids import uuid7

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


class OutboxSession(Session):
    """The session class of every service database; its hooks write and announce events."""


@event.listens_for(OutboxSession, "before_commit")
def _write_outbox(session: Session) -> None:
    pending: list[Envelope] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    database = session.info["database"]
    if database.events is None:
        raise RuntimeError("publish() was called on a database that has no outbox table")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": database.outbox_lock})
    now = utcnow()
    session.execute(
        insert(database.events.outbox),
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
    if session.info.pop(_WROTE, False) and (wake := session.info["database"].on_outbox_commit):
        wake()


@event.listens_for(OutboxSession, "after_rollback")
def _forget_events(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_WROTE, None)
