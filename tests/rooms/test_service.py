"""The rooms domain rules, called directly on a session that is rolled back: succession when
the owner leaves, the last member out deleting the room, and who may remove whom."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tasksync.common.auth import Principal
from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.errors import Conflict, Forbidden
from tasksync.common.ids import uuid7
from tasksync.common.pagination import PageParams
from tasksync.common.room_roles import RoomAccess
from tasksync.contracts.roles import Role
from tasksync.rooms import queries, service
from tasksync.rooms.models import Membership, Room
from tasksync.rooms.schemas import RoomCreate


@pytest.fixture
async def session(rooms_db: Database) -> AsyncIterator[AsyncSession]:
    async with rooms_db.sessionmaker() as session:
        yield session
        await session.rollback()


def _access(room: Room, member: Membership) -> RoomAccess:
    caller = Principal(
        id=member.user_id, username="x", session_id="s", issued_at=0, expires_at=0, token="t"
    )
    return RoomAccess(room_id=room.id, caller=caller, role=member.role)


async def _room(session: AsyncSession, *roles: Role) -> tuple[Room, list[Membership]]:
    """A room whose members joined a minute apart, in the order of `roles` (owner first)."""
    owner_id = uuid7()
    view = await service.create_room(session, user_id=owner_id, data=RoomCreate(name="Room"))
    room = await session.get(Room, view.id)
    owner = await queries.membership(session, view.id, owner_id)
    assert room is not None
    assert owner is not None
    members = [owner]
    start = utcnow()
    for minute, role in enumerate(roles[1:], start=1):
        member = Membership(
            room_id=room.id, user_id=uuid7(), role=role, joined_at=start + timedelta(minutes=minute)
        )
        session.add(member)
        members.append(member)
    await session.flush()
    return room, members


async def _roles(session: AsyncSession, room: Room) -> dict[object, str]:
    page = await queries.members_of(session, room.id, PageParams(limit=200))
    return {member.user_id: member.role for member, _ in page.items}


class TestSuccession:
    async def test_the_owner_leaving_hands_the_room_to_the_longest_standing_admin(
        self, session: AsyncSession
    ) -> None:
        room, (owner, member, first_admin, second_admin) = await _room(
            session, "owner", "member", "admin", "admin"
        )
        await service.remove_member(session, access=_access(room, owner), user_id=owner.user_id)
        assert await _roles(session, room) == {
            member.user_id: "member",
            first_admin.user_id: "owner",
            second_admin.user_id: "admin",
        }

    async def test_without_admins_the_longest_standing_member_takes_over_before_viewers(
        self, session: AsyncSession
    ) -> None:
        room, (owner, viewer, member) = await _room(session, "owner", "viewer", "member")
        await service.remove_member(session, access=_access(room, owner), user_id=owner.user_id)
        assert await _roles(session, room) == {viewer.user_id: "viewer", member.user_id: "owner"}

    async def test_the_last_one_out_deletes_the_room(self, session: AsyncSession) -> None:
        room, (owner,) = await _room(session, "owner")
        await service.remove_member(session, access=_access(room, owner), user_id=owner.user_id)
        assert await session.get(Room, room.id, populate_existing=True) is None

    async def test_handing_over_makes_the_old_owner_an_admin(self, session: AsyncSession) -> None:
        room, (owner, viewer) = await _room(session, "owner", "viewer")
        await service.hand_over(session, access=_access(room, owner), user_id=viewer.user_id)
        assert await _roles(session, room) == {owner.user_id: "admin", viewer.user_id: "owner"}
        with pytest.raises(Forbidden):  # the caller is no longer the owner
            await service.hand_over(session, access=_access(room, owner), user_id=owner.user_id)


class TestWhoRemovesWhom:
    async def test_an_admin_removes_members_but_not_another_admin_nor_the_owner(
        self, session: AsyncSession
    ) -> None:
        room, (owner, admin, other_admin, member) = await _room(
            session, "owner", "admin", "admin", "member"
        )
        as_admin = _access(room, admin)
        with pytest.raises(Forbidden):
            await service.remove_member(session, access=as_admin, user_id=other_admin.user_id)
        with pytest.raises(Forbidden):
            await service.remove_member(session, access=as_admin, user_id=owner.user_id)
        await service.remove_member(session, access=as_admin, user_id=member.user_id)
        assert member.user_id not in await _roles(session, room)

    async def test_the_owners_role_changes_only_by_handing_over(
        self, session: AsyncSession
    ) -> None:
        room, (owner,) = await _room(session, "owner")
        with pytest.raises(Conflict):
            await service.change_role(
                session, access=_access(room, owner), user_id=owner.user_id, role="admin"
            )
