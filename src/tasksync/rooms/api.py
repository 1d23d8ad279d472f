from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, status

from tasksync.common.auth import CurrentUser
from tasksync.common.db import DbSession
from tasksync.common.pagination import Page, PageParams, page_params
from tasksync.rooms import service
from tasksync.rooms.dependencies import JoinLimit, RoomAdmin, RoomMember, RoomOwner, Users
from tasksync.rooms.schemas import (
    JoinIn,
    MemberAdd,
    MemberRead,
    MemberUpdate,
    OwnerHandover,
    RoomCreate,
    RoomRead,
    RoomUpdate,
)

router = APIRouter(prefix="/api/v1/rooms", tags=["rooms"])

Paging = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_room(body: RoomCreate, user: CurrentUser, session: DbSession) -> RoomRead:
    """Create a room; you become its owner."""
    return RoomRead.of(await service.create_room(session, user_id=user.id, data=body))


@router.get("")
async def list_rooms(user: CurrentUser, session: DbSession, paging: Paging) -> Page[RoomRead]:
    """The rooms you belong to, with your role and the member count."""
    page = await service.list_rooms(session, user_id=user.id, page=paging)
    return Page[RoomRead](items=[RoomRead.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.post("/join")
async def join_room(
    body: JoinIn, user: CurrentUser, session: DbSession, guard: JoinLimit
) -> RoomRead:
    """Join a room by its code, as a member (joining again changes nothing)."""
    return RoomRead.of(await service.join(session, guard, user_id=user.id, code=body.code))


@router.get("/{room_id}")
async def get_room(member: RoomMember, session: DbSession) -> RoomRead:
    """A room you belong to (the join code is shown to admins and the owner only)."""
    return RoomRead.of(await service.get_room(session, member=member))


@router.patch("/{room_id}")
async def update_room(body: RoomUpdate, owner: RoomOwner, session: DbSession) -> RoomRead:
    """Rename a room or change its description (owner only)."""
    return RoomRead.of(await service.update_room(session, actor=owner, changes=body))


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_room(owner: RoomOwner, session: DbSession) -> None:
    """Delete a room with everything in it (owner only)."""
    await service.delete_room(session, actor=owner)


@router.post("/{room_id}/code")
async def rotate_code(admin: RoomAdmin, session: DbSession) -> RoomRead:
    """Replace the join code; the old one stops working (admins and the owner)."""
    return RoomRead.of(await service.rotate_code(session, actor=admin))


@router.post("/{room_id}/owner")
async def hand_over(body: OwnerHandover, owner: RoomOwner, session: DbSession) -> MemberRead:
    """Hand ownership to another member; you become an admin (owner only)."""
    member = await service.hand_over(session, actor=owner, user_id=body.user_id)
    return MemberRead.model_validate(member)


@router.get("/{room_id}/members")
async def list_members(member: RoomMember, session: DbSession, paging: Paging) -> Page[MemberRead]:
    """A room's members, longest-standing first."""
    page = await service.list_members(session, viewer=member, page=paging)
    return Page[MemberRead].model_validate(page, from_attributes=True)


@router.post("/{room_id}/members", status_code=status.HTTP_201_CREATED)
async def add_member(
    body: MemberAdd, admin: RoomAdmin, session: DbSession, users: Users
) -> MemberRead:
    """Add someone by `user_id` or `username` (admins add below admin; the owner adds admins)."""
    member = await service.add_member(
        session,
        users,
        actor=admin,
        user_id=body.user_id,
        username=body.username,
        role=body.role,
    )
    return MemberRead.model_validate(member)


@router.get("/{room_id}/members/{user_id}")
async def get_member(user_id: UUID, member: RoomMember, session: DbSession) -> MemberRead:
    """One member of a room."""
    return MemberRead.model_validate(
        await service.get_member(session, viewer=member, user_id=user_id)
    )


@router.patch("/{room_id}/members/{user_id}")
async def change_role(
    user_id: UUID, body: MemberUpdate, admin: RoomAdmin, session: DbSession
) -> MemberRead:
    """Change a member's role (admins below admin; the owner also makes or removes admins)."""
    member = await service.change_role(session, actor=admin, user_id=user_id, role=body.role)
    return MemberRead.model_validate(member)


@router.delete("/{room_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(user_id: UUID, member: RoomMember, session: DbSession) -> None:
    """Remove a member, or leave the room when `user_id` is your own."""
    await service.remove_member(session, actor=member, user_id=user_id)
