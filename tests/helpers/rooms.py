"""Builders for rooms and memberships, going through the public API like a person would."""

from dataclasses import dataclass
from typing import Any

import httpx

from tests.helpers.builders import Person, signed_up
from tests.helpers.waiting import eventually


async def create_room(
    client: httpx.AsyncClient, person: Person, name: str = "Room", **extra: Any
) -> dict[str, Any]:
    """A new room owned by `person`: the JSON reply, with its `id` and join `code`."""
    response = await client.post(
        "/api/v1/rooms", json={"name": name, **extra}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def join(client: httpx.AsyncClient, person: Person, code: str) -> dict[str, Any]:
    """`person` joins the room with that code as a member; returns the room."""
    response = await client.post("/api/v1/rooms/join", json={"code": code}, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def set_role(
    client: httpx.AsyncClient, actor: Person, room_id: str, user_id: str, role: str
) -> dict[str, Any]:
    """`actor` gives `user_id` the `role` (viewer, member or admin); returns the membership."""
    response = await client.patch(
        f"/api/v1/rooms/{room_id}/members/{user_id}", json={"role": role}, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


ROLES = ("owner", "admin", "member", "viewer")


@dataclass
class Cast:
    """One person per room role, an outsider, and `tia`, an ordinary member that the room
    routes act on."""

    owner: Person
    admin: Person
    member: Person
    viewer: Person
    outsider: Person
    tia: Person

    def of(self, role: str) -> Person:
        return getattr(self, role)


async def cast_of(client: httpx.AsyncClient) -> Cast:
    names = ("owner", "admin", "member", "viewer", "outsider", "tia")
    return Cast(*[await signed_up(client, f"{name}_person") for name in names])


@dataclass
class RoleRoom:
    """A room whose members are a cast: each role held by one person."""

    id: str
    code: str
    cast: Cast

    def by_role(self, role: str) -> Person:
        return self.cast.of(role)

    def __getattr__(self, role: str) -> Person:
        if role in {*ROLES, "outsider", "tia"}:
            return self.cast.of(role)
        raise AttributeError(role)


async def room_with_roles(client: httpx.AsyncClient, cast: Cast, name: str = "Room") -> RoleRoom:
    """A room owned by `cast.owner` with `.admin`, `.member`, `.viewer` and `.tia` (a member)
    in it, joined in that order; it returns once rooms knows every member's username."""
    room = await create_room(client, cast.owner, name)
    for role in ("admin", "member", "viewer", "tia"):
        await join(client, cast.of(role), room["code"])
    await set_role(client, cast.owner, room["id"], cast.admin.id, "admin")
    await set_role(client, cast.owner, room["id"], cast.viewer.id, "viewer")
    await eventually(lambda: _usernames_known(client, cast.owner, room["id"]))
    return RoleRoom(room["id"], room["code"], cast)


async def _usernames_known(client: httpx.AsyncClient, owner: Person, room_id: str) -> bool:
    """The rooms service has heard of every member's account (the user.* events arrived)."""
    members = await client.get(f"/api/v1/rooms/{room_id}/members", headers=owner.headers)
    return all(member["username"] for member in members.json()["items"])
