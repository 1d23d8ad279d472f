"""Rooms, join codes and memberships.

Functions take the session first and never commit: the request (or the event handler) is
the unit of work. Every change of membership takes the room's lock first, then re-reads the
memberships it decides on, so the ownership and last-member rules hold under concurrency.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from tasksync.common.concurrency import check_if_match
from tasksync.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    TooManyRequests,
)
from tasksync.common.events.outbox import publish
from tasksync.common.ids import uuid7
from tasksync.common.known_users import UserLookup
from tasksync.common.pagination import PageParams, Slice
from tasksync.common.ratelimit import WindowCounter
from tasksync.common.room_roles import RoomAccess, RoomRoleRevoker
from tasksync.contracts.roles import ROLE_RANK, Role
from tasksync.contracts.rooms import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    RoomCodeRotated,
    RoomCreated,
    RoomDeleted,
    RoomUpdated,
)
from tasksync.rooms import queries
from tasksync.rooms.models import Membership, Room
from tasksync.rooms.schemas import AssignableRole, RoomCreate, RoomUpdate
from tasksync.rooms.settings import RoomsSettings

# No look-alikes: no 0/O, no 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 9
_CODE_TRIES = 10
# Only these roles see a room's join code.
CODE_VISIBLE_TO = ("admin", "owner")


@dataclass(frozen=True, slots=True)
class RoomView:
    """A room as one member sees it: the join code only for admins and the owner."""

    id: UUID
    name: str
    description: str | None
    code: str | None
    my_role: Role
    member_count: int
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class MemberView:
    """A membership with the member's username (None while no replica knows it)."""

    room_id: UUID
    user_id: UUID
    role: Role
    joined_at: datetime
    username: str | None


class MembershipRoles:
    """The rooms service's own `RoleSource`: its memberships, no replica."""

    async def role(
        self, session: AsyncSession, *, room_id: UUID, user_id: UUID, token: str
    ) -> Role | None:
        member = await queries.membership(session, room_id, user_id)
        return None if member is None else member.role


def require_role(member: Membership, at_least: Role) -> None:
    if ROLE_RANK[member.role] < ROLE_RANK[at_least]:
        raise Forbidden(f"Only a room {at_least} or above may do this.")


async def _locked(session: AsyncSession, access: RoomAccess) -> tuple[Room, Membership]:
    """Locks the caller's room and re-reads the caller's membership under the lock."""
    room = await queries.lock_room(session, access.room_id)
    fresh = await queries.membership(session, access.room_id, access.caller.id, fresh=True)
    if room is None or fresh is None:
        raise NotFound("No room with that id.")
    return room, fresh


async def _target(session: AsyncSession, room_id: UUID, user_id: UUID) -> Membership:
    member = await queries.membership(session, room_id, user_id, fresh=True)
    if member is None:
        raise NotFound("No member with that id in this room.")
    return member


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


async def _new_code(session: AsyncSession) -> str:
    """A fresh code; drawn again on a collision (the unique constraint is the backstop)."""
    for _ in range(_CODE_TRIES):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not await queries.code_taken(session, code):
            return code
    raise Conflict("Could not draw a free join code; try again.")


async def _flush_code(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # lost a race for the same code, one in ~10^13
        raise Conflict("Two rooms drew the same join code at once; try again.") from exc


def _room_view(room: Room, role: Role, member_count: int) -> RoomView:
    return RoomView(
        id=room.id,
        name=room.name,
        description=room.description,
        code=room.code if role in CODE_VISIBLE_TO else None,
        my_role=role,
        member_count=member_count,
        created_at=room.created_at,
        updated_at=room.updated_at,
        version=room.version,
    )


async def _view(session: AsyncSession, room: Room, role: Role) -> RoomView:
    return _room_view(room, role, await queries.member_count(session, room.id))


async def _member_view(session: AsyncSession, member: Membership) -> MemberView:
    return MemberView(
        room_id=member.room_id,
        user_id=member.user_id,
        role=member.role,
        joined_at=member.joined_at,
        username=await queries.username(session, member.user_id),
    )


# Rooms


async def create_room(session: AsyncSession, *, user_id: UUID, data: RoomCreate) -> RoomView:
    room = Room(
        id=uuid7(),
        name=data.name,
        description=data.description,
        code=await _new_code(session),
    )
    session.add(room)
    await _flush_code(session)
    session.add(Membership(room_id=room.id, user_id=user_id, role="owner"))
    await session.flush()
    publish(
        session,
        RoomCreated(room_id=room.id, name=room.name, owner_id=user_id),
        actor_id=user_id,
        room_id=room.id,
    )
    publish(
        session,
        MemberAdded(room_id=room.id, user_id=user_id, role="owner"),
        actor_id=user_id,
        room_id=room.id,
    )
    return _room_view(room, "owner", 1)


async def get_room(session: AsyncSession, *, access: RoomAccess) -> RoomView:
    room = await session.get(Room, access.room_id)
    if room is None:
        raise NotFound("No room with that id.")
    return await _view(session, room, access.role)


async def list_rooms(session: AsyncSession, *, user_id: UUID, page: PageParams) -> Slice[RoomView]:
    rows = await queries.rooms_of(session, user_id, page)
    return Slice(
        items=[_room_view(room, role, count) for room, role, count in rows.items],
        next_cursor=rows.next_cursor,
    )


async def update_room(
    session: AsyncSession, *, access: RoomAccess, changes: RoomUpdate, if_match: str | None
) -> RoomView:
    room, actor = await _locked(session, access)
    require_role(actor, "owner")
    check_if_match(if_match, room.version)
    changed = []
    for field in ("name", "description"):
        if field in changes.model_fields_set and getattr(changes, field) != getattr(room, field):
            setattr(room, field, getattr(changes, field))
            changed.append(field)
    if changed:
        try:
            await session.flush()
        except StaleDataError as exc:  # the room's lock makes this a backstop
            raise PreconditionFailed("The room changed meanwhile; read it again.") from exc
        publish(
            session,
            RoomUpdated(room_id=room.id, name=room.name, changed=changed),
            actor_id=actor.user_id,
            room_id=room.id,
        )
    return await _view(session, room, actor.role)


async def delete_room(
    session: AsyncSession, *, access: RoomAccess, revoker: RoomRoleRevoker | None = None
) -> None:
    room, actor = await _locked(session, access)
    require_role(actor, "owner")
    await queries.delete_room(session, room.id)
    if revoker is not None:
        revoker.revoke(session, room_id=room.id, user_id=None)
    publish(session, RoomDeleted(room_id=room.id), actor_id=actor.user_id, room_id=room.id)


async def rotate_code(session: AsyncSession, *, access: RoomAccess) -> RoomView:
    room, actor = await _locked(session, access)
    require_role(actor, "admin")
    room.code = await _new_code(session)
    await _flush_code(session)
    publish(session, RoomCodeRotated(room_id=room.id), actor_id=actor.user_id, room_id=room.id)
    return await _view(session, room, actor.role)


# Joining by code


class JoinGuard:
    """Limits join attempts per user. Every attempt counts, before the code is checked, so
    parallel guesses cannot all slip under the limit; a success does not reset the count,
    since anyone holding one valid code (their own room's) could otherwise reset it at will."""

    def __init__(self, counter: WindowCounter, settings: RoomsSettings) -> None:
        self.counter = counter
        self.limit = settings.join_attempts_per_user
        self.window = settings.join_window_seconds

    async def attempt(self, user_id: UUID) -> None:
        key = f"rooms:join:{user_id}"
        if await self.counter.hit(key, self.window) > self.limit:
            _, retry_after = await self.counter.get(key)
            raise TooManyRequests(
                "Too many attempts to join a room; wait before trying again.",
                retry_after=retry_after,
            )


async def join(session: AsyncSession, guard: JoinGuard, *, user_id: UUID, code: str) -> RoomView:
    """Joins the room with that code as a member; joining a room again changes nothing."""
    await guard.attempt(user_id)
    room = await queries.room_by_code(session, normalize_code(code))
    if room is None:
        raise NotFound("No room with that code.")
    existing = await queries.membership(session, room.id, user_id, fresh=True)
    if existing is not None:
        return await _view(session, room, existing.role)
    session.add(Membership(room_id=room.id, user_id=user_id, role="member"))
    await session.flush()
    publish(
        session,
        MemberAdded(room_id=room.id, user_id=user_id, role="member"),
        actor_id=user_id,
        room_id=room.id,
    )
    return await _view(session, room, "member")


# Members


async def get_member(session: AsyncSession, *, access: RoomAccess, user_id: UUID) -> MemberView:
    return await _member_view(session, await _target(session, access.room_id, user_id))


async def list_members(
    session: AsyncSession, *, access: RoomAccess, page: PageParams
) -> Slice[MemberView]:
    rows = await queries.members_of(session, access.room_id, page)
    return Slice(
        items=[
            MemberView(m.room_id, m.user_id, m.role, m.joined_at, username)
            for m, username in rows.items
        ],
        next_cursor=rows.next_cursor,
    )


def _may_assign(actor: Membership, role: str) -> None:
    if ROLE_RANK[role] >= ROLE_RANK["admin"] and actor.role != "owner":
        raise Forbidden("Only the room owner may make or remove admins.")


async def add_member(
    session: AsyncSession,
    lookup: UserLookup,
    *,
    access: RoomAccess,
    user_id: UUID | None,
    username: str | None,
    role: AssignableRole,
) -> MemberView:
    access.require("admin", "add members")
    if ROLE_RANK[role] >= ROLE_RANK["admin"] and access.role != "owner":
        raise Forbidden("Only the room owner may make or remove admins.")
    # Ask who it is before taking the room's lock: the answer may need a call to users.
    if user_id is not None:
        person = await lookup.by_id(session, user_id)
    else:
        assert username is not None
        person = await lookup.by_username(session, username)
    if not person.is_active:
        raise Conflict("That account is deactivated and cannot be added.")
    room, actor = await _locked(session, access)
    require_role(actor, "admin")
    _may_assign(actor, role)
    if await queries.membership(session, room.id, person.id) is not None:
        raise Conflict("That person is already a member of this room.")
    member = Membership(room_id=room.id, user_id=person.id, role=role)
    session.add(member)
    await session.flush()
    publish(
        session,
        MemberAdded(room_id=room.id, user_id=person.id, role=role),
        actor_id=actor.user_id,
        room_id=room.id,
    )
    return MemberView(room.id, person.id, role, member.joined_at, person.username)


async def change_role(
    session: AsyncSession,
    *,
    access: RoomAccess,
    user_id: UUID,
    role: AssignableRole,
    revoker: RoomRoleRevoker | None = None,
) -> MemberView:
    room, actor = await _locked(session, access)
    require_role(actor, "admin")
    target = await _target(session, room.id, user_id)
    if target.role == "owner":
        if actor.role != "owner":
            raise Forbidden("Only the owner may change the owner's role.")
        raise Conflict("The owner keeps that role until ownership is handed over (POST /owner).")
    _may_assign(actor, target.role)
    _may_assign(actor, role)
    if target.role != role:
        previous = target.role
        target.role = role
        await session.flush()
        if revoker is not None and ROLE_RANK[role] < ROLE_RANK[previous]:
            revoker.revoke(session, room_id=room.id, user_id=user_id)
        publish(
            session,
            MemberRoleChanged(room_id=room.id, user_id=user_id, role=role, previous_role=previous),
            actor_id=actor.user_id,
            room_id=room.id,
        )
    return await _member_view(session, target)


async def remove_member(
    session: AsyncSession,
    *,
    access: RoomAccess,
    user_id: UUID,
    revoker: RoomRoleRevoker | None = None,
) -> None:
    """Removes a member, or, when `user_id` is the caller's own, leaves the room."""
    room, actor = await _locked(session, access)
    if user_id == actor.user_id:
        await _remove(session, room, actor, actor_id=actor.user_id, revoker=revoker)
        return
    require_role(actor, "admin")
    target = await _target(session, room.id, user_id)
    if target.role == "owner":
        raise Forbidden("The owner cannot be removed; only the owner may leave.")
    _may_assign(actor, target.role)
    await _remove(session, room, target, actor_id=actor.user_id, revoker=revoker)


async def hand_over(
    session: AsyncSession,
    *,
    access: RoomAccess,
    user_id: UUID,
    revoker: RoomRoleRevoker | None = None,
) -> MemberView:
    """Makes another member the owner; the old owner becomes an admin."""
    room, actor = await _locked(session, access)
    require_role(actor, "owner")
    if user_id == actor.user_id:
        raise Conflict("You are the owner already.")
    target = await _target(session, room.id, user_id)
    previous = target.role
    target.role, actor.role = "owner", "admin"
    await session.flush()
    if revoker is not None:
        revoker.revoke(session, room_id=room.id, user_id=actor.user_id)
    for member, before in ((target, previous), (actor, "owner")):
        publish(
            session,
            MemberRoleChanged(
                room_id=room.id,
                user_id=member.user_id,
                role=member.role,
                previous_role=before,
            ),
            actor_id=actor.user_id,
            room_id=room.id,
        )
    return await _member_view(session, target)


async def _remove(
    session: AsyncSession,
    room: Room,
    member: Membership,
    *,
    actor_id: UUID,
    revoker: RoomRoleRevoker | None = None,
) -> None:
    """Removes one membership with the room's rules: an owner who leaves hands the room to
    the longest-standing admin, else member, else viewer; the last one out deletes it."""
    was_owner = member.role == "owner"
    await session.delete(member)
    await session.flush()
    if revoker is not None:
        revoker.revoke(session, room_id=room.id, user_id=member.user_id)
    publish(
        session,
        MemberRemoved(room_id=room.id, user_id=member.user_id),
        actor_id=actor_id,
        room_id=room.id,
    )
    heir = await queries.successor(session, room.id)
    if heir is None:
        await queries.delete_room(session, room.id)
        publish(session, RoomDeleted(room_id=room.id), actor_id=actor_id, room_id=room.id)
        return
    if was_owner:
        previous = heir.role
        heir.role = "owner"
        await session.flush()
        publish(
            session,
            MemberRoleChanged(
                room_id=room.id,
                user_id=heir.user_id,
                role="owner",
                previous_role=previous,
            ),
            actor_id=actor_id,
            room_id=room.id,
        )


async def remove_user_everywhere(session: AsyncSession, *, user_id: UUID) -> None:
    """An account is gone: it leaves every room, with the same rules as leaving by hand."""
    for member in await queries.memberships_of(session, user_id):
        room = await queries.lock_room(session, member.room_id)
        fresh = await queries.membership(session, member.room_id, user_id, fresh=True)
        if room is not None and fresh is not None:
            await _remove(session, room, fresh, actor_id=user_id)
