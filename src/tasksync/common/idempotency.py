"""Idempotent retries of non-idempotent writes: the `Idempotency-Key` request header.

The first successful response to a key is stored with a fingerprint of the request, in the
same transaction as the write itself; a retry with the same key (from the same user) gets
that stored response back and changes nothing. Following the IETF draft
"The Idempotency-Key HTTP Header Field":

- the same key with a different request (another body, or another route) is a 422 problem;
- a request racing a not-yet-committed first use of its key is a 409 problem (retry it).

A service names its table in its definition (`idempotency_keys=add_idempotency_table(...)`);
a route takes the `Idempotency` dependency and runs the write through it, so service
functions never see the header:

    return await idempotency.run(
        session, ("create-task", room_id, body), lambda: _create(...), schema=TaskRead
    )

Keys are kept for `RETENTION` (24 hours); `prune` removes older ones.
"""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID

import orjson
from fastapi import Depends, Header, Request
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import CurrentUser
from tasksync.common.clock import utcnow
from tasksync.common.db import UTCDateTime, upsert
from tasksync.common.errors import Conflict, DomainError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)


class IdempotencyKeyReused(DomainError):
    """The key was used before for a different request."""

    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused"


def add_idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("user_id", Uuid, nullable=False),
        Column("key", String(MAX_KEY_LENGTH), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("status", Integer, nullable=False),
        Column("body", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False, index=True),
        PrimaryKeyConstraint("user_id", "key"),
    )


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: Any


def fingerprint(*parts: Any) -> str:
    """A digest of what identifies a request: the operation, its target and its body."""
    raw = orjson.dumps(parts, default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


async def lookup(
    session: AsyncSession, table: Table, *, user_id: UUID, key: str, fingerprint: str
) -> StoredResponse | None:
    """The response first given to `key`, or None when the key is new (or expired)."""
    row = (
        await session.execute(
            select(table.c.fingerprint, table.c.status, table.c.body).where(
                table.c.user_id == user_id,
                table.c.key == key,
                table.c.created_at > utcnow() - RETENTION,
            )
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"This {HEADER} was already used for a different request; use a new key."
        )
    return StoredResponse(status=row.status, body=row.body)


async def remember(
    session: AsyncSession,
    table: Table,
    *,
    user_id: UUID,
    key: str,
    fingerprint: str,
    status: int,
    body: Any,
) -> None:
    """Stores the response to `key` in the caller's transaction. If another request stored
    the same key first (a concurrent retry), raises Conflict so this one rolls back."""
    await session.execute(
        delete(table).where(
            table.c.user_id == user_id,
            table.c.key == key,
            table.c.created_at <= utcnow() - RETENTION,
        )
    )
    result = await session.execute(
        upsert(session, table)
        .values(
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            status=status,
            body=body,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
    )
    if result.rowcount != 1:
        raise Conflict(
            f"Another request with this {HEADER} was being processed; retry to get its result."
        )


async def prune(session: AsyncSession, table: Table) -> None:
    """Forgets keys older than the retention period."""
    await session.execute(delete(table).where(table.c.created_at <= utcnow() - RETENTION))


IdempotencyKey = Annotated[
    str | None, Header(alias=HEADER, min_length=1, max_length=MAX_KEY_LENGTH)
]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A write's `Idempotency-Key`, if it came with one, and where answers are kept."""

    key: str | None
    user_id: UUID
    table: Table

    async def run(
        self,
        session: AsyncSession,
        request: tuple[Any, ...],
        write: Callable[[], Awaitable[M]],
        *,
        schema: type[M],
        status: int = 201,
    ) -> M:
        """`write()`'s answer; with a key, a repeat of the same `request` (the operation,
        its target and its body) gets the first answer back and writes nothing."""
        if self.key is None:
            return await write()
        parts = [p.model_dump(mode="json") if isinstance(p, BaseModel) else p for p in request]
        digest = fingerprint(*parts)
        stored = await lookup(
            session, self.table, user_id=self.user_id, key=self.key, fingerprint=digest
        )
        if stored is not None:
            return schema.model_validate(stored.body)
        answer = await write()
        await remember(
            session,
            self.table,
            user_id=self.user_id,
            key=self.key,
            fingerprint=digest,
            status=status,
            body=answer.model_dump(mode="json"),
        )
        return answer


async def _idempotency(
    request: Request, caller: CurrentUser, key: IdempotencyKey = None
) -> Idempotency:
    table = request.app.state.kit.idempotency_keys
    assert table is not None, "the service's definition names no idempotency_keys table"
    return Idempotency(key=key, user_id=caller.id, table=table)


IdempotentWrite = Annotated[Idempotency, Depends(_idempotency)]
