"""The ownership and last-member rules, on every path: leaving by hand, and an account deleted
in the users service (through the user.deleted event)."""

import asyncio

import httpx

from tests.helpers.builders import DEFAULT_PASSWORD, Person, assert_problem, signed_up
from tests.helpers.rooms import create_room, join, set_role
from tests.helpers.waiting import eventually
from tests.rooms.conftest import ROOMS, OutboxReader


async def _room_joined_in_order(
    client: httpx.AsyncClient, owner: Person, *people: tuple[Person, str]
) -> str:
    room = await create_room(client, owner)
    for person, role in people:
        await join(client, person, room["code"])
        if role != "member":
            await set_role(client, owner, room["id"], person.id, role)
    return room["id"]


async def _leave(client: httpx.AsyncClient, person: Person, room_id: str) -> None:
    reply = await client.delete(f"{ROOMS}/{room_id}/members/{person.id}", headers=person.headers)
    assert reply.status_code == 204, reply.text


async def _role(client: httpx.AsyncClient, person: Person, room_id: str) -> str | None:
    reply = await client.get(f"{ROOMS}/{room_id}", headers=person.headers)
    return reply.json()["my_role"] if reply.status_code == 200 else None


async def _people(client: httpx.AsyncClient, *names: str) -> list[Person]:
    return [await signed_up(client, name) for name in names]


class TestTheOwnerLeaving:
    async def test_the_longest_standing_admin_takes_over_before_any_member(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann, mia, vic, ada, abe = await _people(client, "ann", "mia", "vic", "ada", "abe")
        room_id = await _room_joined_in_order(
            client, ann, (mia, "member"), (vic, "viewer"), (ada, "admin"), (abe, "admin")
        )
        await _leave(client, ann, room_id)
        roles = [await _role(client, p, room_id) for p in (mia, vic, ada, abe)]
        assert roles == ["member", "viewer", "owner", "admin"]
        assert (await published())[-2:] == [
            ("member.removed", {"room_id": room_id, "user_id": ann.id}),
            (
                "member.role_changed",
                {"room_id": room_id, "user_id": ada.id, "role": "owner", "previous_role": "admin"},
            ),
        ]

    async def test_without_admins_the_longest_standing_member_takes_over_then_a_viewer(
        self, client: httpx.AsyncClient
    ) -> None:
        ann, vic, mia, max_ = await _people(client, "ann", "vic", "mia", "max")
        room_id = await _room_joined_in_order(
            client, ann, (vic, "viewer"), (mia, "member"), (max_, "member")
        )
        await _leave(client, ann, room_id)
        assert [await _role(client, p, room_id) for p in (vic, mia, max_)] == [
            "viewer",
            "owner",
            "member",
        ]
        await _leave(client, mia, room_id)
        await _leave(client, max_, room_id)  # the owner again: only a viewer is left
        assert await _role(client, vic, room_id) == "owner"


class TestTheLastMemberLeaving:
    async def test_the_room_is_deleted_and_its_code_no_longer_joins(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann, bob, eve = await _people(client, "ann", "bob", "eve")
        room = await create_room(client, ann)
        await join(client, bob, room["code"])
        await _leave(client, ann, room["id"])
        await _leave(client, bob, room["id"])
        assert_problem(await client.get(f"{ROOMS}/{room['id']}", headers=bob.headers), 404)
        reply = await client.post(f"{ROOMS}/join", json={"code": room["code"]}, headers=eve.headers)
        assert_problem(reply, 404)
        assert (await published())[-2:] == [
            ("member.removed", {"room_id": room["id"], "user_id": bob.id}),
            ("room.deleted", {"room_id": room["id"]}),
        ]

    async def test_the_last_two_leaving_at_once_delete_the_room_exactly_once(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        rooms = []
        for i in range(3):
            ann, bob = await _people(client, f"ann{i}", f"bob{i}")
            room = await create_room(client, ann)
            await join(client, bob, room["code"])
            await asyncio.gather(*(_leave(client, p, room["id"]) for p in (ann, bob)))
            rooms.append(room["id"])
        assert await published("room.deleted") == [("room.deleted", {"room_id": r}) for r in rooms]


class TestAnAccountDeleted:
    async def test_memberships_and_ownership_follow_the_same_rules(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann, bob, cid, dan, eve = await _people(client, "ann", "bob", "cid", "dan", "eve")
        shared = await _room_joined_in_order(client, ann, (cid, "member"), (bob, "admin"))
        alone = await create_room(client, ann, "Alone")
        elsewhere = await _room_joined_in_order(client, dan, (ann, "member"))

        reply = await client.request(
            "DELETE", "/api/v1/users/me", json={"password": DEFAULT_PASSWORD}, headers=ann.headers
        )
        assert reply.status_code == 204, reply.text

        async def settled() -> bool:
            return await _role(client, bob, shared) == "owner"

        await eventually(settled)
        assert await _role(client, cid, shared) == "member"
        members = await client.get(f"{ROOMS}/{elsewhere}/members", headers=dan.headers)
        assert [m["user_id"] for m in members.json()["items"]] == [dan.id]
        gone = await client.post(f"{ROOMS}/join", json={"code": alone["code"]}, headers=eve.headers)
        assert_problem(gone, 404)
        events = await published("room.deleted", "member.removed")
        assert ("room.deleted", {"room_id": alone["id"]}) in events
        removed = {d["room_id"] for t, d in events if t == "member.removed"}
        assert removed == {shared, alone["id"], elsewhere}

    async def test_a_deleted_account_can_no_longer_be_added(
        self, client: httpx.AsyncClient
    ) -> None:
        ann, bob = await _people(client, "ann", "bob")
        room = await create_room(client, ann)
        reply = await client.request(
            "DELETE", "/api/v1/users/me", json={"password": DEFAULT_PASSWORD}, headers=bob.headers
        )
        assert reply.status_code == 204

        async def refused() -> bool:
            response = await client.post(
                f"{ROOMS}/{room['id']}/members", json={"user_id": bob.id}, headers=ann.headers
            )
            if response.status_code == 201:  # the replica had not heard yet: undo and retry
                await client.delete(f"{ROOMS}/{room['id']}/members/{bob.id}", headers=ann.headers)
                return False
            return assert_problem(response, 404) is not None

        await eventually(refused)
