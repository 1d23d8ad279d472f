from uuid import UUID

from fastapi import APIRouter, Response, status

from tasksync.common.auth import CurrentUser
from tasksync.common.concurrency import IfMatch, etag
from tasksync.common.db import DbSession
from tasksync.common.known_users import Users
from tasksync.common.pagination import Page, Paging
from tasksync.common.room_roles import RoomAdmin, RoomOwner, RoomViewer
from tasksync.rooms import service
from tasksync.rooms.dependencies import JoinLimit, Revoker
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


def _room(view: service.RoomView, response: Response | None = None) -> RoomRead:
    if response is not None:
        response.headers["ETag"] = etag(view.version)
    return RoomRead.model_validate(view)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_room(
    body: RoomCreate, user: CurrentUser, session: DbSession, response: Response
) -> RoomRead:
    """Create a room; you become its owner."""
    return _room(await service.create_room(session, user_id=user.id, data=body), response)


@router.get("")
async def list_rooms(user: CurrentUser, session: DbSession, paging: Paging) -> Page[RoomRead]:
    """The rooms you belong to, with your role and the member count."""
    page = await service.list_rooms(session, user_id=user.id, page=paging)
    return Page[RoomRead].model_validate(page, from_attributes=True)


@router.post("/join")
async def join_room(
    body: JoinIn, user: CurrentUser, session: DbSession, guard: JoinLimit
) -> RoomRead:
    """Join a room by its code, as a member (joining again changes nothing)."""
    return _room(await service.join(session, guard, user_id=user.id, code=body.code))


@router.get("/{room_id}")
async def get_room(access: RoomViewer, session: DbSession, response: Response) -> RoomRead:
    """A room you belong to, with its `ETag` (the join code is shown to admins and the owner
    only)."""
    return _room(await service.get_room(session, access=access), response)


@router.patch("/{room_id}")
async def update_room(
    body: RoomUpdate,
    access: RoomOwner,
    session: DbSession,
    response: Response,
    if_match: IfMatch = None,
) -> RoomRead:
    """Rename a room or change its description (owner only); send `If-Match` with its
    `ETag` to avoid lost updates."""
    view = await service.update_room(session, access=access, changes=body, if_match=if_match)
    return _room(view, response)


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_room(access: RoomOwner, session: DbSession, revoker: Revoker) -> None:
    """Delete a room with everything in it (owner only)."""
    await service.delete_room(session, access=access, revoker=revoker)


@router.post("/{room_id}/code")
async def rotate_code(access: RoomAdmin, session: DbSession, response: Response) -> RoomRead:
    """Replace the join code; the old one stops working (admins and the owner)."""
    return _room(await service.rotate_code(session, access=access), response)


@router.post("/{room_id}/owner")
async def hand_over(
    body: OwnerHandover, access: RoomOwner, session: DbSession, revoker: Revoker
) -> MemberRead:
    """Hand ownership to another member; you become an admin (owner only)."""
    member = await service.hand_over(session, access=access, user_id=body.user_id, revoker=revoker)
    return MemberRead.model_validate(member)


@router.get("/{room_id}/members")
async def list_members(access: RoomViewer, session: DbSession, paging: Paging) -> Page[MemberRead]:
    """A room's members with their usernames, longest-standing first."""
    page = await service.list_members(session, access=access, page=paging)
    return Page[MemberRead].model_validate(page, from_attributes=True)


@router.post("/{room_id}/members", status_code=status.HTTP_201_CREATED)
async def add_member(
    body: MemberAdd, access: RoomAdmin, session: DbSession, users: Users
) -> MemberRead:
    """Add someone by `user_id` or `username` (admins add below admin; the owner adds admins)."""
    member = await service.add_member(
        session,
        users,
        access=access,
        user_id=body.user_id,
        username=body.username,
        role=body.role,
    )
    return MemberRead.model_validate(member)


@router.get("/{room_id}/members/{user_id}")
async def get_member(user_id: UUID, access: RoomViewer, session: DbSession) -> MemberRead:
    """One member of a room."""
    return MemberRead.model_validate(
        await service.get_member(session, access=access, user_id=user_id)
    )


@router.patch("/{room_id}/members/{user_id}")
async def change_role(
    user_id: UUID, body: MemberUpdate, access: RoomAdmin, session: DbSession, revoker: Revoker
) -> MemberRead:
    """Change a member's role (admins below admin; the owner also makes or removes admins)."""
    member = await service.change_role(
        session, access=access, user_id=user_id, role=body.role, revoker=revoker
    )
    return MemberRead.model_validate(member)


@router.delete("/{room_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    user_id: UUID, access: RoomViewer, session: DbSession, revoker: Revoker
) -> None:
    """Remove a member, or leave the room when `user_id` is your own."""
    await service.remove_member(session, access=access, user_id=user_id, revoker=revoker)
