"""Revoked sessions and accounts lose their access tokens everywhere at once: every service
refuses them from the moment the change is answered (findings 2, 3 and 15 of the security
review)."""

from typing import Any

import httpx

from tasksync.users import commands
from tests.helpers.builders import DEFAULT_PASSWORD, Person, assert_problem, login, signed_up
from tests.helpers.rooms import create_room


async def _everywhere(client: httpx.AsyncClient, person: Person, room: dict[str, Any]) -> list:
    """What the person's token gets from users, rooms, tasks and the gateway itself."""
    headers = person.headers
    return [
        await client.get("/api/v1/users/me", headers=headers),
        await client.get("/api/v1/rooms", headers=headers),
        await client.post("/api/v1/rooms", json={"name": "New"}, headers=headers),
        await client.post("/api/v1/rooms/join", json={"code": room["code"]}, headers=headers),
        await client.post(
            f"/api/v1/rooms/{room['id']}/tasks", json={"title": "x"}, headers=headers
        ),
        await client.get("/api/v1/tasks", headers=headers),
        await client.get("/api/v1/overview", headers=headers),
    ]


async def test_a_deactivated_accounts_token_is_refused_everywhere_at_once(
    client: httpx.AsyncClient, users_settings: Any
) -> None:
    root, ann = await signed_up(client, "root"), await signed_up(client, "ann")
    await commands.promote(users_settings, "root")
    room = await create_room(client, ann)
    changed = await client.patch(
        f"/api/v1/admin/users/{ann.id}", json={"is_active": False}, headers=root.headers
    )
    assert changed.status_code == 200
    for response in await _everywhere(client, ann, room):
        assert_problem(response, 401)


async def test_a_deleted_accounts_token_creates_nothing_anywhere(
    client: httpx.AsyncClient,
) -> None:
    ann, bob = await signed_up(client, "ann"), await signed_up(client, "bob")
    room = await create_room(client, bob)
    deleted = await client.request(
        "DELETE", "/api/v1/users/me", json={"password": DEFAULT_PASSWORD}, headers=ann.headers
    )
    assert deleted.status_code == 204
    for response in await _everywhere(client, ann, room):
        assert_problem(response, 401)
    members = await client.get(f"/api/v1/rooms/{room['id']}/members", headers=bob.headers)
    assert [m["user_id"] for m in members.json()["items"]] == [bob.id]


async def test_signing_out_ends_the_sessions_access_tokens_too(client: httpx.AsyncClient) -> None:
    ann = await signed_up(client, "ann")
    other = await login(client, "ann")
    out = await client.post("/api/v1/auth/logout", json={"refresh_token": ann.refresh_token})
    assert out.status_code == 204
    assert_problem(await client.get("/api/v1/rooms", headers=ann.headers), 401)
    still = {"Authorization": f"Bearer {other['access_token']}"}
    assert (await client.get("/api/v1/rooms", headers=still)).status_code == 200


async def test_a_password_change_ends_every_other_session_and_keeps_this_one(
    client: httpx.AsyncClient,
) -> None:
    ann = await signed_up(client, "ann")
    elsewhere = await login(client, "ann")
    changed = await client.patch(
        "/api/v1/users/me",
        json={"password": "a new long password", "current_password": DEFAULT_PASSWORD},
        headers=ann.headers,
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/v1/rooms", headers=ann.headers)).status_code == 200
    other = {"Authorization": f"Bearer {elsewhere['access_token']}"}
    assert_problem(await client.get("/api/v1/rooms", headers=other), 401)
    again = await login(client, "ann", "a new long password")
    fresh = {"Authorization": f"Bearer {again['access_token']}"}
    assert (await client.get("/api/v1/rooms", headers=fresh)).status_code == 200
