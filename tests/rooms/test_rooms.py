"""Rooms themselves: creating, reading, listing, renaming, deleting, rotating the join code."""

import httpx

from tasksync.rooms.service import CODE_ALPHABET
from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.rooms import Cast, create_room, join, room_with_roles
from tests.rooms.conftest import ROOMS, OutboxReader


class TestCreatingARoom:
    async def test_the_creator_owns_the_new_room_and_both_events_are_published(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann = await signed_up(client, "ann")
        room = await create_room(client, ann, "  Launch  ", description="Q3 launch")
        assert room["name"] == "Launch"
        assert room["description"] == "Q3 launch"
        assert room["my_role"] == "owner"
        assert room["member_count"] == 1
        assert await published() == [
            ("room.created", {"room_id": room["id"], "name": "Launch", "owner_id": ann.id}),
            ("member.added", {"room_id": room["id"], "user_id": ann.id, "role": "owner"}),
        ]
        member = await client.get(f"{ROOMS}/{room['id']}/members/{ann.id}", headers=ann.headers)
        assert member.json()["role"] == "owner"

    async def test_join_codes_are_nine_unambiguous_characters_and_differ(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        codes = {(await create_room(client, ann))["code"] for _ in range(8)}
        assert len(codes) == 8
        for code in codes:
            assert len(code) == 9
            assert set(code) <= set(CODE_ALPHABET)
        assert not set(CODE_ALPHABET) & set("0O1IL")


class TestReadingARoom:
    async def test_only_admins_and_the_owner_see_the_join_code(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        for role, sees in (("viewer", False), ("member", False), ("admin", True), ("owner", True)):
            reply = await client.get(f"{ROOMS}/{room.id}", headers=cast.of(role).headers)
            assert reply.status_code == 200
            body = reply.json()
            assert body["my_role"] == role
            assert body["member_count"] == 5
            assert body["code"] == (room.code if sees else None), role


class TestListingMyRooms:
    async def test_lists_only_my_rooms_with_my_role_and_the_member_count(
        self, client: httpx.AsyncClient
    ) -> None:
        ann, bob = await signed_up(client, "ann"), await signed_up(client, "bob")
        mine = await create_room(client, ann, "Mine")
        theirs = await create_room(client, bob, "Theirs")
        await create_room(client, bob, "Private")
        await join(client, ann, theirs["code"])
        reply = await client.get(ROOMS, headers=ann.headers)
        assert reply.status_code == 200
        items = reply.json()["items"]
        assert [(r["name"], r["my_role"], r["member_count"]) for r in items] == [
            ("Mine", "owner", 1),
            ("Theirs", "member", 2),
        ]
        assert items[0]["code"] == mine["code"]
        assert items[1]["code"] is None

    async def test_pages_follow_the_cursor_to_the_end_and_a_foreign_cursor_is_a_400(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        names = [f"Room {i}" for i in range(5)]
        for name in names:
            await create_room(client, ann, name)
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(ROOMS, params=params, headers=ann.headers)).json()
            assert len(page["items"]) <= 2
            seen += [r["name"] for r in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == names
        for bad in ("garbage!", "WyJub3QtYS11dWlkIl0"):
            reply = await client.get(ROOMS, params={"cursor": bad}, headers=ann.headers)
            assert_problem(reply, 400)


class TestRenamingARoom:
    async def test_the_owner_renames_and_clears_the_description_and_only_real_changes_are_announced(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann = await signed_up(client, "ann")
        room = await create_room(client, ann, "Old", description="words")
        for same in ({}, {"name": "Old"}):  # changes nothing, announces nothing
            reply = await client.patch(f"{ROOMS}/{room['id']}", json=same, headers=ann.headers)
            assert reply.status_code == 200
        reply = await client.patch(
            f"{ROOMS}/{room['id']}",
            json={"name": " New ", "description": None},
            headers=ann.headers,
        )
        assert reply.status_code == 200
        assert (reply.json()["name"], reply.json()["description"]) == ("New", None)
        assert await published("room.updated") == [
            (
                "room.updated",
                {"room_id": room["id"], "name": "New", "changed": ["name", "description"]},
            )
        ]

    async def test_a_rename_sent_with_a_stale_etag_is_a_412_and_changes_nothing(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        url, owner = f"{ROOMS}/{room.id}", cast.owner.headers
        first = (await client.get(url, headers=owner)).headers["ETag"]
        renamed = await client.patch(
            url, json={"name": "Renamed"}, headers={**owner, "If-Match": first}
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.headers["ETag"] != first
        stale = await client.patch(url, json={"name": "Lost"}, headers={**owner, "If-Match": first})
        assert_problem(stale, 412)
        now = await client.get(url, headers=owner)
        assert now.json()["name"] == "Renamed"
        assert now.headers["ETag"] == renamed.headers["ETag"]
        rotated = await client.post(f"{url}/code", headers=owner)
        assert rotated.headers["ETag"] not in (first, renamed.headers["ETag"])


class TestDeletingARoom:
    async def test_the_room_is_gone_for_everyone_and_its_code_no_longer_joins(
        self, client: httpx.AsyncClient, cast: Cast, published: OutboxReader
    ) -> None:
        room = await room_with_roles(client, cast)
        reply = await client.delete(f"{ROOMS}/{room.id}", headers=cast.owner.headers)
        assert reply.status_code == 204
        for role in ("owner", "admin", "member", "viewer"):
            assert_problem(
                await client.get(f"{ROOMS}/{room.id}", headers=cast.of(role).headers), 404
            )
        listed = await client.get(ROOMS, headers=cast.admin.headers)
        assert listed.json()["items"] == []
        reply = await client.post(
            f"{ROOMS}/join", json={"code": room.code}, headers=cast.outsider.headers
        )
        assert_problem(reply, 404)
        assert await published("room.deleted") == [("room.deleted", {"room_id": room.id})]


class TestRotatingTheCode:
    async def test_an_admin_rotates_and_only_the_new_code_joins(
        self, client: httpx.AsyncClient, cast: Cast, published: OutboxReader
    ) -> None:
        room = await room_with_roles(client, cast)
        reply = await client.post(f"{ROOMS}/{room.id}/code", headers=cast.admin.headers)
        assert reply.status_code == 200
        new_code = reply.json()["code"]
        assert new_code != room.code
        assert len(new_code) == 9
        old = await client.post(
            f"{ROOMS}/join", json={"code": room.code}, headers=cast.outsider.headers
        )
        assert_problem(old, 404)
        joined = await join(client, cast.outsider, new_code)
        assert joined["id"] == room.id
        events = await published("room.code_rotated")
        assert events == [("room.code_rotated", {"room_id": room.id})]
