"""Joining a room by its code, and the limit on guessing codes."""

import asyncio

import httpx

from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.rooms import create_room, join
from tests.helpers.stacks import AppFactory
from tests.rooms.conftest import ROOMS, OutboxReader

JOIN = f"{ROOMS}/join"


class TestJoiningByCode:
    async def test_a_code_makes_you_a_member_and_announces_it(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann, bob = await signed_up(client, "ann"), await signed_up(client, "bob")
        room = await create_room(client, ann)
        code = room["code"]
        typed = f" {code[:3].lower()}-{code[3:6]} {code[6:]} "  # case, spaces and dashes ignored
        joined = await join(client, bob, typed)
        assert (joined["id"], joined["my_role"], joined["member_count"]) == (
            room["id"],
            "member",
            2,
        )
        assert joined["code"] is None
        assert ("member.added", {"room_id": room["id"], "user_id": bob.id, "role": "member"}) in (
            await published("member.added")
        )

    async def test_joining_twice_is_not_an_error_and_announces_nothing_more(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann, bob = await signed_up(client, "ann"), await signed_up(client, "bob")
        room = await create_room(client, ann)
        await join(client, bob, room["code"])
        again = await join(client, bob, room["code"])
        assert (again["my_role"], again["member_count"]) == ("member", 2)
        mine = await join(client, ann, room["code"])
        assert mine["my_role"] == "owner"
        assert len(await published("member.added")) == 2  # ann as owner, bob once

    async def test_a_wrong_code_says_no_room_has_it(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        body = assert_problem(
            await client.post(JOIN, json={"code": "ZZZZZZZZZ"}, headers=ann.headers), 404
        )
        assert body["detail"] == "No room with that code."
        assert (await client.get(ROOMS, headers=ann.headers)).json()["items"] == []


class TestGuessingCodesIsLimited:
    async def test_after_the_limit_even_the_right_code_is_refused_but_others_may_join(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(join_attempts_per_user=3) as tuned, tuned.client() as http:
            ann, bob, eve = [await signed_up(http, n) for n in ("ann", "bob", "eve")]
            room = await create_room(http, ann)
            for _ in range(3):
                wrong = await http.post(JOIN, json={"code": "ZZZZZZZZZ"}, headers=eve.headers)
                assert_problem(wrong, 404)
            refused = await http.post(JOIN, json={"code": room["code"]}, headers=eve.headers)
            body = assert_problem(refused, 429)
            assert body["type"] == "/problems/too-many-requests"
            assert 1 <= int(refused.headers["retry-after"]) <= 900
            members = await http.get(f"{ROOMS}/{room['id']}/members", headers=ann.headers)
            assert [m["user_id"] for m in members.json()["items"]] == [ann.id]
            assert (await join(http, bob, room["code"]))["my_role"] == "member"

    async def test_parallel_guesses_cannot_slip_past_the_limit(self, embedded: AppFactory) -> None:
        async with embedded(join_attempts_per_user=3) as tuned, tuned.client() as http:
            eve = await signed_up(http, "eve")
            replies = await asyncio.gather(
                *(
                    http.post(JOIN, json={"code": f"ZZZZZZZZ{i}"}, headers=eve.headers)
                    for i in range(8)
                )
            )
            assert sorted(r.status_code for r in replies) == [404] * 3 + [429] * 5
