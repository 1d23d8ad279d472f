"""Every query of the rooms service, so membership filters and pagination are written once."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.clock import utcnow
from tasksync.common.db import upsert
from tasksync.common.errors import BadRequest
from tasksync.common.pagination import PageParams, Slice, decode_cursor, keyset_slice
from tasksync.rooms.models import KnownUser, Membership, Room

# Who takes over when the owner leaves: admins first, then members, then viewers.
_SUCCESSION = case((Membership.role == "admin", 0), (Membership.role == "member", 1), else_=2)


def _member_count() -> Any:
    return (
        select(func.count()).where(Membership.room_id == Room.id).correlate(Room).scalar_subquery()
    )


async def membership(
    session: AsyncSession, room_id: UUID, user_id: UUID, *, fresh: bool = False
) -> Membership | None:
    """`fresh` re-reads a row the session may hold already (after taking the room lock)."""
    query: Select[tuple[Membership]] = select(Membership).where(
        Membership.room_id == room_id, Membership.user_id == user_id
    )
    if fresh:
        query = query.execution_options(populate_existing=True)
    return await session.scalar(query)


async def lock_room(session: AsyncSession, room_id: UUID) -> Room | None:
    """The room, locked until the unit of work ends (PostgreSQL; SQLite serialises writers),
    so membership changes in one room never interleave."""
    return await session.scalar(
        select(Room)
        .where(Room.id == room_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def room_by_code(session: AsyncSession, code: str) -> Room | None:
    return await session.scalar(select(Room).where(Room.code == code).with_for_update())


async def code_taken(session: AsyncSession, code: str) -> bool:
    return await session.scalar(select(Room.id).where(Room.code == code)) is not None


async def member_count(session: AsyncSession, room_id: UUID) -> int:
    query = select(func.count()).select_from(Membership).where(Membership.room_id == room_id)
    return int(await session.scalar(query) or 0)


async def successor(session: AsyncSession, room_id: UUID) -> Membership | None:
    """The longest-standing admin, else member, else viewer."""
    return await session.scalar(
        select(Membership)
        .where(Membership.room_id == room_id)
        .order_by(_SUCCESSION, Membership.joined_at, Membership.user_id)
        .limit(1)
    )


async def memberships_of(session: AsyncSession, user_id: UUID) -> list[Membership]:
    """In room order, so that two handlers locking several rooms lock them in the same order."""
    query = select(Membership).where(Membership.user_id == user_id).order_by(Membership.room_id)
    return list(await session.scalars(query))


async def delete_room(session: AsyncSession, room_id: UUID) -> None:
    await session.execute(delete(Membership).where(Membership.room_id == room_id))
    await session.execute(delete(Room).where(Room.id == room_id))


def _cursor_values(cursor: str, length: int) -> list[Any]:
    return decode_cursor(cursor, length)


async def rooms_of(
    session: AsyncSession, user_id: UUID, page: PageParams
) -> Slice[tuple[Room, str, int]]:
    """The rooms `user_id` belongs to, oldest room first, with their role and member count."""
    query = (
        select(Room, Membership.role, _member_count())
        .join(Membership, Membership.room_id == Room.id)
        .where(Membership.user_id == user_id)
        .order_by(Room.id)
        .limit(page.limit + 1)
    )
    if page.cursor:
        (after,) = _cursor_values(page.cursor, 1)
        query = query.where(Room.id > _uuid(after))
    rows = [(room, role, int(count)) for room, role, count in (await session.execute(query)).all()]
    return keyset_slice(rows, page.limit, lambda row: [str(row[0].id)])


async def members_of(session: AsyncSession, room_id: UUID, page: PageParams) -> Slice[Membership]:
    """A room's members, longest-standing first."""
    query = (
        select(Membership)
        .where(Membership.room_id == room_id)
        .order_by(Membership.joined_at, Membership.user_id)
        .limit(page.limit + 1)
    )
    if page.cursor:
        joined, user = _cursor_values(page.cursor, 2)
        joined_at, user_id = _datetime(joined), _uuid(user)
        query = query.where(
            or_(
                Membership.joined_at > joined_at,
                (Membership.joined_at == joined_at) & (Membership.user_id > user_id),
            )
        )
    rows = (await session.scalars(query)).all()
    return keyset_slice(rows, page.limit, lambda m: [m.joined_at.isoformat(), str(m.user_id)])


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise BadRequest("The cursor is not one this list gave out.") from exc


def _datetime(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise BadRequest("The cursor is not one this list gave out.") from exc
    if parsed.tzinfo is None:
        raise BadRequest("The cursor is not one this list gave out.")
    return parsed


# The replica of known users.


async def known_user(session: AsyncSession, user_id: UUID) -> KnownUser | None:
    return await session.get(KnownUser, user_id)


async def known_username(session: AsyncSession, username: str) -> KnownUser | None:
    return await session.scalar(
        select(KnownUser)
        .where(KnownUser.username_key == username.lower())
        .order_by(KnownUser.updated_at.desc())
        .limit(1)
    )


async def upsert_known_user(session: AsyncSession, **values: Any) -> None:
    """Inserts or refreshes a replica row; safe against a concurrent writer of the same id."""
    values.setdefault("username_key", str(values["username"]).lower())
    values["updated_at"] = utcnow()
    statement = upsert(session, KnownUser).values(values)
    updates = {key: statement.excluded[key] for key in values if key != "id"}
    await session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=updates))


async def set_user_active(session: AsyncSession, user_id: UUID, *, active: bool) -> None:
    user = await session.get(KnownUser, user_id)
    if user is not None:
        user.is_active = active


async def forget_user(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(delete(KnownUser).where(KnownUser.id == user_id))
