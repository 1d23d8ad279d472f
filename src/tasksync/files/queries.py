"""Every SQL statement of the files service.

A task's files are listed by `(created_at, id)`, the cursor holding both. A room's usage is
changed by one conditional UPDATE, so two uploads racing for the last bytes of a quota
cannot both pass.
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import case, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.db import upsert
from tasksync.common.pagination import (
    PageParams,
    Slice,
    aware_datetime,
    decode_cursor,
    keyset_slice,
    uuid_value,
)
from tasksync.files.models import DoomedBlob, File, RoomUsage


async def file(session: AsyncSession, file_id: UUID) -> File | None:
    return await session.get(File, file_id)


async def task_files(session: AsyncSession, *, task_id: UUID, page: PageParams) -> Slice[File]:
    key = tuple_(File.created_at, File.id)
    query = select(File).where(File.task_id == task_id)
    if page.cursor:
        query = query.where(key > tuple(decode_cursor(page.cursor, aware_datetime, uuid_value)))
    rows = (
        await session.scalars(query.order_by(File.created_at, File.id).limit(page.limit + 1))
    ).all()
    return keyset_slice(rows, page.limit, lambda f: [f.created_at.isoformat(), str(f.id)])


async def reserve(session: AsyncSession, *, room_id: UUID, size: int, quota: int) -> bool:
    """Adds `size` to the room's usage if it stays within `quota`; whether it did."""
    await session.execute(
        upsert(session, RoomUsage.__table__)
        .values(room_id=room_id, bytes=0)
        .on_conflict_do_nothing()
    )
    result = await session.execute(
        update(RoomUsage)
        .where(RoomUsage.room_id == room_id, RoomUsage.bytes + size <= quota)
        .values(bytes=RoomUsage.bytes + size)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def release(session: AsyncSession, *, room_id: UUID, size: int) -> None:
    await session.execute(
        update(RoomUsage)
        .where(RoomUsage.room_id == room_id)
        .values(bytes=case((RoomUsage.bytes < size, 0), else_=RoomUsage.bytes - size))
        .execution_options(synchronize_session=False)
    )


async def doom(session: AsyncSession, keys: Sequence[str]) -> None:
    """Queues blobs for removal from the store (in the transaction that drops their rows)."""
    if keys:
        statement = upsert(session, DoomedBlob.__table__).values(
            [{"blob_key": key, "attempts": 0, "due_at": utcnow()} for key in keys]
        )
        await session.execute(statement.on_conflict_do_nothing())


async def delete_files(session: AsyncSession, condition: Any) -> list[str]:
    """Deletes the matching rows; the blob keys (and thumbnails) they held."""
    rows = (
        await session.execute(
            delete(File)
            .where(condition)
            .returning(File.blob_key, File.thumbnail_key)
            .execution_options(synchronize_session=False)
        )
    ).all()
    return [key for row in rows for key in row if key is not None]


async def delete_task_files(session: AsyncSession, task_id: UUID) -> list[str]:
    return await delete_files(session, File.task_id == task_id)


async def delete_room_files(session: AsyncSession, room_id: UUID) -> list[str]:
    keys = await delete_files(session, File.room_id == room_id)
    await session.execute(delete(RoomUsage).where(RoomUsage.room_id == room_id))
    return keys


async def room_task_usage(session: AsyncSession, task_id: UUID) -> tuple[UUID, int] | None:
    """(room, total size) of a task's files, or None when it has none."""
    row = (
        await session.execute(
            select(File.room_id, func.sum(File.size))
            .where(File.task_id == task_id)
            .group_by(File.room_id)
        )
    ).first()
    return None if row is None else (row[0], int(row[1]))


async def due_blobs(session: AsyncSession, *, limit: int) -> Sequence[str]:
    query = (
        select(DoomedBlob.blob_key)
        .where(DoomedBlob.due_at <= utcnow())
        .order_by(DoomedBlob.due_at)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def blob_gone(session: AsyncSession, key: str) -> None:
    await session.execute(delete(DoomedBlob).where(DoomedBlob.blob_key == key))


async def retry_later(session: AsyncSession, key: str, *, backoff: timedelta) -> None:
    """The store did not confirm: try again later, waiting longer each time (at most an hour)."""
    row = await session.get(DoomedBlob, key)
    if row is not None:
        row.attempts += 1
        wait = min(backoff * 2 ** min(row.attempts, 12), timedelta(hours=1))
        row.due_at = utcnow() + wait


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of `keys` a row (or the deletion queue) still holds."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        batch = list(keys[start : start + 500])
        for column in (File.blob_key, File.thumbnail_key):
            found.update(await session.scalars(select(column).where(column.in_(batch))))
        found.update(
            await session.scalars(select(DoomedBlob.blob_key).where(DoomedBlob.blob_key.in_(batch)))
        )
    return found


async def set_thumbnail(session: AsyncSession, *, file_id: UUID, key: str) -> bool:
    """Records a file's preview unless one was recorded meanwhile; whether it did."""
    result = await session.execute(
        update(File)
        .where(File.id == file_id, File.thumbnail_key.is_(None))
        .values(thumbnail_key=key)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def forget_uploader(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(
        update(File)
        .where(File.uploaded_by == user_id)
        .values(uploaded_by=None)
        .execution_options(synchronize_session=False)
    )
