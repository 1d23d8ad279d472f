"""Every query of the rooms service, so membership filters and pagination are written once."""

from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.pagination import (
    PageParams,
    Slice,
    aware_datetime,
    decode_cursor,
    keyset_slice,
    uuid_value,
)
from tasksync.rooms.models import Membership, Room, known_users

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
        (after,) = decode_cursor(page.cursor, uuid_value)
        query = query.where(Room.id > after)
    rows = [(room, role, int(count)) for room, role, count in (await session.execute(query)).all()]
    return keyset_slice(rows, page.limit, lambda row: [str(row[0].id)])


async def username(session: AsyncSession, user_id: UUID) -> str | None:
    """The member's username as the replica of accounts knows it."""
    people = known_users.table
    return await session.scalar(select(people.c.username).where(people.c.id == user_id))


async def members_of(
    session: AsyncSession, room_id: UUID, page: PageParams
) -> Slice[tuple[Membership, str | None]]:
    """A room's members with their usernames (as the replica knows them), longest-standing
    first."""
    people = known_users.table
    query = (
        select(Membership, people.c.username)
        .outerjoin(people, people.c.id == Membership.user_id)
        .where(Membership.room_id == room_id)
        .order_by(Membership.joined_at, Membership.user_id)
        .limit(page.limit + 1)
    )
    if page.cursor:
        joined_at, user_id = decode_cursor(page.cursor, aware_datetime, uuid_value)
        query = query.where(
            or_(
                Membership.joined_at > joined_at,
                (Membership.joined_at == joined_at) & (Membership.user_id > user_id),
            )
        )
    rows = [(member, username) for member, username in (await session.execute(query)).all()]
    return keyset_slice(
        rows, page.limit, lambda row: [row[0].joined_at.isoformat(), str(row[0].user_id)]
    )
