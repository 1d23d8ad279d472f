"""Every query of the activity service: the chain's appends and walks, the filtered lists
(newest first, keyset on the chain position) and retention."""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tasksync.activity.chain import GENESIS
from tasksync.activity.models import ChainHead, Checkpoint, Entry, Label
from tasksync.common.db import escape_like, upsert
from tasksync.common.pagination import PageParams, Slice, decode_cursor, keyset_slice

ENTRY_COLUMNS = tuple(Entry.__table__.c)
HEAD_ID = 1


@dataclass(frozen=True)
class EntryFilter:
    """What a list keeps: types (`task.*` for a prefix), an actor, a room, a subject, times."""

    types: tuple[str, ...] = ()
    actor_id: UUID | None = None
    room_id: UUID | None = None
    subject_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.types:
            found.append(or_(*(_type_matches(kind) for kind in self.types)))
        if self.actor_id is not None:
            found.append(Entry.actor_id == self.actor_id)
        if self.room_id is not None:
            found.append(Entry.room_id == self.room_id)
        if self.subject_id is not None:
            found.append(Entry.subject_id == self.subject_id)
        if self.since is not None:
            found.append(Entry.occurred_at >= self.since)
        if self.until is not None:
            found.append(Entry.occurred_at < self.until)
        return found


def _type_matches(kind: str) -> ColumnElement[bool]:
    if kind.endswith(".*"):
        return Entry.type.like(escape_like(kind[:-1]) + "%", escape="\\")
    return Entry.type == kind


# Appending.


async def lock_head(session: AsyncSession) -> ChainHead:
    """The chain head, locked until the transaction ends (created on the first append)."""
    await session.execute(
        upsert(session, ChainHead.__table__)
        .values(id=HEAD_ID, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    head = await session.scalar(
        select(ChainHead)
        .where(ChainHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert head is not None
    return head


async def add_entries(
    session: AsyncSession, entries: list[dict[str, Any]], *, head: tuple[int, str]
) -> None:
    """Appends entries (in chain order) and moves the head to the last of them."""
    await session.execute(insert(Entry), entries)
    seq, hash_ = head
    await session.execute(
        update(ChainHead)
        .where(ChainHead.id == HEAD_ID)
        .values(seq=seq, hash=hash_)
        .execution_options(synchronize_session=False)
    )


async def labels(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Label.id, Label.label).where(Label.id.in_(wanted)))
    return {row.id: row.label for row in rows}


async def keep_labels(session: AsyncSession, learned: dict[UUID, tuple[str, str]]) -> None:
    if not learned:
        return
    rows = [{"id": i, "kind": kind, "label": label} for i, (kind, label) in sorted(learned.items())]
    statement = upsert(session, Label.__table__).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={"kind": statement.excluded.kind, "label": statement.excluded.label},
        )
    )


# Reading.


async def page(session: AsyncSession, where: EntryFilter, params: PageParams) -> Slice[Any]:
    """Entries matching `where`, newest (last appended) first."""
    query = select(*ENTRY_COLUMNS).where(*where.conditions())
    if params.cursor:
        (seq,) = decode_cursor(params.cursor, int)
        query = query.where(Entry.seq < seq)
    rows = (await session.execute(query.order_by(Entry.seq.desc()).limit(params.limit + 1))).all()
    return keyset_slice(rows, params.limit, lambda row: [row.seq])


async def task_room(session: AsyncSession, task_id: UUID) -> UUID | None:
    """The room of a task, from its latest entry (None when none names the task)."""
    return await session.scalar(
        select(Entry.room_id)
        .where(Entry.subject_id == task_id, Entry.subject_type == "task")
        .order_by(Entry.seq.desc())
        .limit(1)
    )


async def batches(
    conn: AsyncConnection, where: EntryFilter, *, after: int, size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """Entries matching `where` in chain order, `size` rows per query: however many there
    are, no more than one batch is held."""
    while True:
        rows = (
            await conn.execute(
                select(*ENTRY_COLUMNS)
                .where(Entry.seq > after, *where.conditions())
                .order_by(Entry.seq)
                .limit(size)
            )
        ).all()
        if not rows:
            return
        yield [dict(row._mapping) for row in rows]
        after = rows[-1].seq


async def chain_start(conn: AsyncConnection) -> tuple[int, str]:
    """Where the chain starts: the latest retention checkpoint, or its beginning."""
    row = (
        await conn.execute(
            select(Checkpoint.seq, Checkpoint.hash).order_by(Checkpoint.seq.desc()).limit(1)
        )
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


async def chain_head(conn: AsyncConnection) -> tuple[int, str]:
    row = (
        await conn.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID))
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


# Retention.


async def last_seq_before(session: AsyncSession, cutoff: datetime) -> tuple[int, str] | None:
    """The position and hash of the newest entry recorded before `cutoff`."""
    seq = await session.scalar(select(func.max(Entry.seq)).where(Entry.recorded_at < cutoff))
    if seq is None:
        return None
    found = await session.scalar(select(Entry.hash).where(Entry.seq == seq))
    assert found is not None
    return seq, found


async def cut(session: AsyncSession, *, seq: int, hash: str, now: datetime) -> int:
    """Deletes the entries up to `seq` and keeps the checkpoint there; returns how many. On
    PostgreSQL only the retention function may delete (see the append-only trigger)."""
    if session.get_bind().dialect.name == "postgresql":
        count = await session.scalar(text("SELECT activity_cut(:seq)"), {"seq": seq})
    else:
        deleted = await session.execute(delete(Entry).where(Entry.seq <= seq))
        count = deleted.rowcount  # type: ignore[attr-defined]
    session.add(Checkpoint(seq=seq, hash=hash, entries_deleted=count or 0, cut_at=now))
    return count or 0
