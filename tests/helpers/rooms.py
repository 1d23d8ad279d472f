"""Builders for rooms and memberships, going through the public API like a person would."""

from typing import Any

import httpx

from tests.helpers.builders import Person


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
