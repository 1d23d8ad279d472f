"""The three event tables every event-using service has in its own database."""

from dataclasses import dataclass

from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, String, Table, Text, Uuid

from tasksync.common.db import UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class EventTables:
    outbox: Table
    inbox: Table
    dead_letters: Table


def add_event_tables(metadata: MetaData) -> EventTables:
    outbox = Table(
        "outbox",
        metadata,
        # Relayed in `seq` order, which is commit order (see outbox.py).
        Column("seq", Sequence, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True, index=True),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("type", String(100), nullable=False),
        Column("processed_at", UTCDateTime, nullable=False, index=True),
    )
    dead_letters = Table(
        "dead_letters",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("type", String(100), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("failed_at", UTCDateTime, nullable=False),
        Column("replay_requested_at", UTCDateTime, nullable=True),
    )
    return EventTables(outbox, inbox, dead_letters)
