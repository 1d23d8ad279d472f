"""Every SQL statement of the notifications service."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.db import upsert
from tasksync.common.pagination import PageParams, Slice, decode_cursor, keyset_slice, uuid_value
from tasksync.notifications.models import (
    Address,
    Mail,
    Notification,
    ParkedEvent,
    Preferences,
    RoomName,
    TaskFacts,
    Watcher,
    WebhookDelivery,
    known_users,
)

# The inbox


async def add_notification(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Writes one notification; False when that recipient already has one for the event."""
    statement = upsert(session, Notification.__table__).values(**values)
    result = await session.execute(
        statement.on_conflict_do_nothing(index_elements=["event_id", "user_id"])
    )
    return bool(result.rowcount)


async def inbox_page(
    session: AsyncSession, *, user_id: UUID, unread: bool, page: PageParams
) -> Slice[Notification]:
    query = (
        select(Notification)
        .where(Notification.user_id == user_id, Notification.in_app.is_(True))
        .order_by(Notification.id.desc())
        .limit(page.limit + 1)
    )
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if page.cursor:
        (after,) = decode_cursor(page.cursor, uuid_value)
        query = query.where(Notification.id < after)
    rows = (await session.scalars(query)).all()
    return keyset_slice(rows, page.limit, lambda row: [row.id])


async def unread_count(session: AsyncSession, user_id: UUID) -> int:
    query = select(func.count()).where(
        Notification.user_id == user_id,
        Notification.in_app.is_(True),
        Notification.read_at.is_(None),
    )
    return await session.scalar(query) or 0


async def mine(
    session: AsyncSession, *, user_id: UUID, notification_id: UUID
) -> Notification | None:
    return await session.scalar(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.in_app.is_(True),
        )
    )


async def mark_all_read(session: AsyncSession, *, user_id: UUID, now: datetime) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount or 0


async def delete_notification(session: AsyncSession, notification: Notification) -> None:
    await session.execute(delete(Notification).where(Notification.id == notification.id))


async def forget_user(session: AsyncSession, user_id: UUID) -> None:
    for table, column in (
        (Notification, Notification.user_id),
        (Watcher, Watcher.user_id),
        (Preferences, Preferences.user_id),
        (Address, Address.user_id),
    ):
        await session.execute(delete(table).where(column == user_id))


# Names


async def usernames(session: AsyncSession, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    c = known_users.table.c
    rows = await session.execute(select(c.id, c.username).where(c.id.in_(wanted)))
    return {row.id: row.username for row in rows}


async def room_name(session: AsyncSession, room_id: UUID | None) -> str | None:
    if room_id is None:
        return None
    return await session.scalar(select(RoomName.name).where(RoomName.room_id == room_id))


async def keep_room_name(session: AsyncSession, *, room_id: UUID, name: str) -> None:
    statement = upsert(session, RoomName.__table__).values(room_id=room_id, name=name)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["room_id"], set_={"name": name})
    )


async def forget_room(session: AsyncSession, room_id: UUID) -> None:
    tasks = select(TaskFacts.task_id).where(TaskFacts.room_id == room_id)
    await session.execute(delete(Watcher).where(Watcher.task_id.in_(tasks)))
    await session.execute(delete(TaskFacts).where(TaskFacts.room_id == room_id))
    await session.execute(delete(RoomName).where(RoomName.room_id == room_id))


# Tasks and their watchers


async def task(session: AsyncSession, task_id: UUID, *, lock: bool = False) -> TaskFacts | None:
    return await session.get(TaskFacts, task_id, with_for_update=lock or None)


async def forget_task(session: AsyncSession, task_id: UUID) -> None:
    await session.execute(delete(Watcher).where(Watcher.task_id == task_id))
    await session.execute(delete(TaskFacts).where(TaskFacts.task_id == task_id))


async def watch(session: AsyncSession, *, task_id: UUID, user_id: UUID, reason: str) -> None:
    statement = upsert(session, Watcher.__table__).values(
        task_id=task_id, user_id=user_id, reason=reason
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["task_id", "user_id"]))


async def unwatch(session: AsyncSession, *, task_id: UUID, user_id: UUID) -> None:
    await session.execute(
        delete(Watcher).where(Watcher.task_id == task_id, Watcher.user_id == user_id)
    )


async def unwatch_room(session: AsyncSession, *, room_id: UUID, user_id: UUID) -> None:
    """Someone left a room: they watch none of its tasks any more."""
    tasks = select(TaskFacts.task_id).where(TaskFacts.room_id == room_id)
    await session.execute(
        delete(Watcher).where(Watcher.user_id == user_id, Watcher.task_id.in_(tasks))
    )


async def watchers(session: AsyncSession, task_id: UUID) -> list[Watcher]:
    query = select(Watcher).where(Watcher.task_id == task_id).order_by(Watcher.created_at)
    return list((await session.scalars(query)).all())


# Preferences and addresses


async def preferences(session: AsyncSession, user_ids: Iterable[UUID]) -> dict[UUID, Preferences]:
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(Preferences).where(Preferences.user_id.in_(wanted)))
    return {row.user_id: row for row in rows}


async def addresses(session: AsyncSession, user_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The verified addresses of those people."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Address.user_id, Address.email).where(
            Address.user_id.in_(wanted), Address.verified.is_(True)
        )
    )
    return {row.user_id: row.email for row in rows}


# Events waiting for their task


async def park(session: AsyncSession, *, task_id: UUID, envelope: dict[str, Any]) -> None:
    statement = upsert(session, ParkedEvent.__table__).values(
        event_id=envelope["id"], task_id=task_id, envelope=envelope, parked_at=utcnow()
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["event_id"]))


async def unpark(
    session: AsyncSession, *, task_id: UUID | None = None, before: datetime | None = None
) -> list[dict[str, Any]]:
    """Takes the parked events of a task (or those parked before a time), oldest first."""
    query = select(ParkedEvent).order_by(ParkedEvent.parked_at).limit(500)
    if task_id is not None:
        query = query.where(ParkedEvent.task_id == task_id)
    if before is not None:
        query = query.where(ParkedEvent.parked_at < before)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.scalars(query)).all())
    if rows:
        await session.execute(
            delete(ParkedEvent).where(ParkedEvent.event_id.in_([r.event_id for r in rows]))
        )
    return [row.envelope for row in rows]


async def set_address(session: AsyncSession, *, user_id: UUID, email: str, verified: bool) -> None:
    statement = upsert(session, Address.__table__).values(
        user_id=user_id, email=email, verified=verified
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"email": email, "verified": verified}
        )
    )


async def forget_address(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(delete(Address).where(Address.user_id == user_id))


# Mails and webhook deliveries are claimed the same way by their dispatchers.
Claimed = type[Mail] | type[WebhookDelivery]


def claimable(model: Claimed, now: datetime) -> tuple[Any, ...]:
    """Pending and not claimed by a pass whose claim still runs."""
    return (
        model.status == "pending",
        or_(model.claimed_until.is_(None), model.claimed_until < now),
    )


async def take(
    session: AsyncSession, model: Claimed, ids: Iterable[UUID], *, now: datetime, until: datetime
) -> list[UUID]:
    """Claims until `until` those of `ids` still claimable; the ids taken. On SQLite (no SKIP
    LOCKED) two passes may have read the same rows: this statement is where one of them wins."""
    return list(
        await session.scalars(
            update(model)
            .where(model.id.in_(list(ids)), *claimable(model, now))
            .values(claimed_until=until, attempts=model.attempts + 1)
            .returning(model.id)
        )
    )
