"""Members: adding them (by id or username, through the replica of known users or the users
service), changing roles, removing, leaving, handing ownership over."""

from collections.abc import Callable
from typing import Any

import httpx

from tasksync import stack
from tasksync.users import commands
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.rooms import Cast, room_with_roles, set_role
from tests.helpers.waiting import eventually
from tests.rooms.conftest import ROOMS, OutboxReader, snapshot


def _members(room_id: str) -> str:
    return f"{ROOMS}/{room_id}/members"


async def _roles(client: httpx.AsyncClient, cast: Cast, room_id: str) -> dict[str, str]:
    reply = await client.get(_members(room_id), headers=cast.owner.headers)
    return {m["user_id"]: m["role"] for m in reply.json()["items"]}


class TestAddingMembers:
    async def test_an_admin_adds_people_by_id_or_by_username_in_any_case_and_it_is_announced(
        self, client: httpx.AsyncClient, cast: Cast, published: OutboxReader
    ) -> None:
        room = await room_with_roles(client, cast)
        late = await signed_up(client, "late_person")
        reply = await client.post(
            _members(room.id),
            json={"user_id": cast.outsider.id, "role": "viewer"},
            headers=cast.admin.headers,
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["role"] == "viewer"
        assert (await _roles(client, cast, room.id))[cast.outsider.id] == "viewer"
        event = (
            "member.added",
            {"room_id": room.id, "user_id": cast.outsider.id, "role": "viewer"},
        )
        assert event in await published("member.added")
        by_name = await client.post(
            _members(room.id), json={"username": "LATE_Person"}, headers=cast.admin.headers
        )
        assert by_name.status_code == 201, by_name.text
        assert (by_name.json()["user_id"], by_name.json()["role"]) == (late.id, "member")

    async def test_someone_the_replica_does_not_know_is_found_through_the_users_service(
        self,
        client: httpx.AsyncClient,
        cast: Cast,
        forget_replica: Callable[[], Any],
    ) -> None:
        room = await room_with_roles(client, cast)
        late = await signed_up(client, "latecomer")
        await forget_replica()
        by_name = await client.post(
            _members(room.id), json={"username": "Latecomer"}, headers=cast.owner.headers
        )
        assert by_name.status_code == 201, by_name.text
        await forget_replica()
        by_id = await client.post(
            _members(room.id), json={"user_id": cast.outsider.id}, headers=cast.owner.headers
        )
        assert by_id.status_code == 201, by_id.text
        assert {late.id, cast.outsider.id} <= set(await _roles(client, cast, room.id))

    @ONE_BACKEND
    async def test_an_unknown_person_is_a_404_and_nothing_is_written(
        self, client: httpx.AsyncClient, cast: Cast, forget_replica: Callable[[], Any]
    ) -> None:
        room = await room_with_roles(client, cast)
        before = await snapshot(client, cast.owner, room.id)
        await forget_replica()
        for body, detail in (
            ({"user_id": "01a20000-0000-7000-8000-000000000000"}, "No user with that id."),
            ({"username": "nobody"}, "No user named 'nobody'."),
        ):
            reply = await client.post(_members(room.id), json=body, headers=cast.owner.headers)
            assert assert_problem(reply, 404)["detail"] == detail
        assert await snapshot(client, cast.owner, room.id) == before

    async def test_a_member_again_is_a_409_and_only_the_owner_adds_admins(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        before = await snapshot(client, cast.owner, room.id)
        again = {"user_id": cast.tia.id, "role": "viewer"}
        reply = await client.post(_members(room.id), json=again, headers=cast.owner.headers)
        assert_problem(reply, 409)
        body = {"user_id": cast.outsider.id, "role": "admin"}
        reply = await client.post(_members(room.id), json=body, headers=cast.admin.headers)
        assert_problem(reply, 403)
        assert await snapshot(client, cast.owner, room.id) == before
        reply = await client.post(_members(room.id), json=body, headers=cast.owner.headers)
        assert reply.status_code == 201
        assert reply.json()["role"] == "admin"

    async def test_a_deactivated_account_cannot_be_added(
        self, client: httpx.AsyncClient, cast: Cast, settings: dict[str, Any]
    ) -> None:
        room = await room_with_roles(client, cast)
        root = await signed_up(client, "root")
        await commands.promote(stack.settings_for("users", **settings), "root")
        reply = await client.patch(
            f"/api/v1/admin/users/{cast.outsider.id}",
            json={"is_active": False},
            headers=root.headers,
        )
        assert reply.status_code == 200

        async def refused() -> bool:
            response = await client.post(
                _members(room.id), json={"user_id": cast.outsider.id}, headers=cast.owner.headers
            )
            assert response.status_code in (201, 409), response.text
            if response.status_code == 201:  # the replica had not heard yet: undo and retry
                await client.delete(
                    f"{_members(room.id)}/{cast.outsider.id}", headers=cast.owner.headers
                )
                return False
            return True

        await eventually(refused)


class TestListingMembers:
    async def test_viewers_see_members_longest_standing_first_page_by_page_and_one_by_one(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            reply = await client.get(_members(room.id), params=params, headers=cast.viewer.headers)
            page = reply.json()
            seen += [m["user_id"] for m in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        order = ("owner", "admin", "member", "viewer", "tia")
        assert seen == [cast.of(role).id for role in order]

        one = await client.get(f"{_members(room.id)}/{cast.admin.id}", headers=cast.viewer.headers)
        assert one.status_code == 200
        body = one.json()
        assert set(body) == {"room_id", "user_id", "username", "role", "joined_at"}
        assert body["username"] == cast.admin.username
        assert (body["room_id"], body["user_id"], body["role"]) == (room.id, cast.admin.id, "admin")


class TestChangingRoles:
    async def test_the_owner_makes_and_removes_admins_and_each_change_is_announced(
        self, client: httpx.AsyncClient, cast: Cast, published: OutboxReader
    ) -> None:
        room = await room_with_roles(client, cast)
        same = await set_role(client, cast.admin, room.id, cast.tia.id, "member")
        assert same["role"] == "member"  # no change, so nothing announced below
        await set_role(client, cast.owner, room.id, cast.tia.id, "admin")
        await set_role(client, cast.owner, room.id, cast.tia.id, "viewer")
        changes = [
            d for _, d in await published("member.role_changed") if d["user_id"] == cast.tia.id
        ]
        assert [(c["previous_role"], c["role"]) for c in changes] == [
            ("member", "admin"),
            ("admin", "viewer"),
        ]

    async def test_an_admin_cannot_touch_admins_or_make_one_and_the_owner_cannot_step_down(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        before = await snapshot(client, cast.owner, room.id)
        for target, role in ((cast.tia, "admin"), (cast.admin, "member"), (cast.owner, "member")):
            reply = await client.patch(
                f"{_members(room.id)}/{target.id}", json={"role": role}, headers=cast.admin.headers
            )
            assert_problem(reply, 403)
        reply = await client.patch(
            f"{_members(room.id)}/{cast.owner.id}",
            json={"role": "admin"},
            headers=cast.owner.headers,
        )
        assert_problem(reply, 409)  # the owner's role changes only by handing over
        assert await snapshot(client, cast.owner, room.id) == before


class TestRemovingAndLeaving:
    async def test_an_admin_removes_a_member_the_owner_an_admin_and_it_is_announced(
        self, client: httpx.AsyncClient, cast: Cast, published: OutboxReader
    ) -> None:
        room = await room_with_roles(client, cast)
        reply = await client.delete(
            f"{_members(room.id)}/{cast.tia.id}", headers=cast.admin.headers
        )
        assert reply.status_code == 204
        assert cast.tia.id not in await _roles(client, cast, room.id)
        assert_problem(await client.get(f"{ROOMS}/{room.id}", headers=cast.tia.headers), 404)
        assert ("member.removed", {"room_id": room.id, "user_id": cast.tia.id}) in await published()
        reply = await client.delete(
            f"{_members(room.id)}/{cast.admin.id}", headers=cast.owner.headers
        )
        assert reply.status_code == 204
        assert cast.admin.id not in await _roles(client, cast, room.id)

    async def test_anyone_may_leave_including_a_viewer_and_an_admin_but_nobody_removes_the_owner(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        reply = await client.delete(
            f"{_members(room.id)}/{cast.owner.id}", headers=cast.admin.headers
        )
        assert_problem(reply, 403)  # nobody removes the owner
        for role in ("viewer", "admin"):
            person = cast.of(role)
            reply = await client.delete(f"{_members(room.id)}/{person.id}", headers=person.headers)
            assert reply.status_code == 204
        assert set(await _roles(client, cast, room.id)) == {
            cast.owner.id,
            cast.member.id,
            cast.tia.id,
        }


class TestHandingOwnershipOver:
    async def test_the_new_owner_takes_over_and_the_old_one_becomes_an_admin(
        self, client: httpx.AsyncClient, cast: Cast, published: OutboxReader
    ) -> None:
        room = await room_with_roles(client, cast)
        reply = await client.post(
            f"{ROOMS}/{room.id}/owner", json={"user_id": cast.viewer.id}, headers=cast.owner.headers
        )
        assert reply.status_code == 200
        assert reply.json()["role"] == "owner"
        roles = await _roles(client, cast, room.id)
        assert (roles[cast.viewer.id], roles[cast.owner.id]) == ("owner", "admin")
        changes = (await published("member.role_changed"))[-2:]
        assert [(d["user_id"], d["previous_role"], d["role"]) for _, d in changes] == [
            (cast.viewer.id, "viewer", "owner"),
            (cast.owner.id, "owner", "admin"),
        ]
        renamed = await client.patch(
            f"{ROOMS}/{room.id}", json={"name": "X"}, headers=cast.owner.headers
        )
        assert_problem(renamed, 403)

    @ONE_BACKEND
    async def test_handing_over_to_yourself_is_a_409_and_to_a_stranger_a_404(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        before = await snapshot(client, cast.owner, room.id)
        mine = await client.post(
            f"{ROOMS}/{room.id}/owner", json={"user_id": cast.owner.id}, headers=cast.owner.headers
        )
        assert_problem(mine, 409)
        stranger = await client.post(
            f"{ROOMS}/{room.id}/owner",
            json={"user_id": cast.outsider.id},
            headers=cast.owner.headers,
        )
        assert_problem(stranger, 404)
        assert await snapshot(client, cast.owner, room.id) == before
