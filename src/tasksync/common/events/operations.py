"""What an operator asks of the event backbone: backlogs, lag, dead letters, replays."""

from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import func, select, update

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.events.redis_streams import stream_name
from tasksync.common.events.tables import EventTables


async def outbox_backlog(db: Database, tables: EventTables) -> int:
    async with db.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).where(tables.outbox.c.published_at.is_(None))
        )
    return int(count or 0)


async def dead_letters(db: Database, tables: EventTables) -> list[dict[str, Any]]:
    table = tables.dead_letters
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(table).order_by(table.c.failed_at))
        return [dict(row._mapping) for row in rows]


async def request_replay(db: Database, tables: EventTables, event_id: UUID | None) -> int:
    """Marks one dead letter (or all, when `event_id` is None) for the running service to
    apply again; returns how many were marked."""
    table = tables.dead_letters
    query = update(table).values(replay_requested_at=utcnow())
    if event_id is not None:
        query = query.where(table.c.event_id == event_id)
    async with db.engine.begin() as conn:
        result = await conn.execute(query)
    return result.rowcount


async def stream_groups(redis: Redis, prefix: str, producer: str) -> list[dict[str, Any]]:
    """Each consumer group of a producer's stream: its lag and pending entries."""
    stream = stream_name(prefix, producer)
    try:
        groups = await redis.xinfo_groups(stream)
        length = await redis.xlen(stream)
    except ResponseError:
        return []
    return [
        {
            "stream": stream,
            "length": length,
            "group": _text(group["name"]),
            "lag": group.get("lag"),
            "pending": group["pending"],
        }
        for group in groups
    ]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
