"""Room roles over every comments route: viewers read; members comment and react; authors
edit and delete their own; admins and the owner delete anyone's; outsiders get 404 and
anonymous callers 401."""

from typing import Any

import httpx
import pytest

from tests.helpers.builders import assert_problem
from tests.helpers.comments import comment_on, comments_of
from tests.helpers.role_table import READERS, WRITERS, outcomes
from tests.helpers.rooms import RoleRoom

# The role checks are the same code on both backends, and the role replica's queries run on
# PostgreSQL in every other suite: the role table runs on the embedded backend alone.
pytestmark = pytest.mark.only_backend("sqlite")


class TestRoleTable:
    async def test_commenting_needs_member_or_above(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        async def post(caller: str, headers: dict[str, str]) -> httpx.Response:
            return await client.post(
                f"/api/v1/tasks/{task['id']}/comments",
                json={"body": f"by {caller}"},
                headers=headers,
            )

        assert await outcomes(room, post) == WRITERS | {
            "member": 201,
            "admin": 201,
            "owner": 201,
        }
        listed = await comments_of(client, room.owner, task["id"])
        assert sorted(c["body"] for c in listed) == ["by admin", "by member", "by owner"]

    async def test_every_member_reads_the_comments_one_comment_and_its_revisions(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        comment = await comment_on(client, room.member, task["id"])
        for path in (
            f"/api/v1/tasks/{task['id']}/comments",
            f"/api/v1/comments/{comment['id']}",
            f"/api/v1/comments/{comment['id']}/revisions",
        ):

            async def get(caller: str, headers: dict[str, str], path: str = path) -> httpx.Response:
                return await client.get(path, headers=headers)

            assert await outcomes(room, get) == READERS, path

    async def test_only_the_author_edits_a_comment(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        comment = await comment_on(client, room.member, task["id"], "mine")

        async def patch(caller: str, headers: dict[str, str]) -> httpx.Response:
            return await client.patch(
                f"/api/v1/comments/{comment['id']}", json={"body": f"by {caller}"}, headers=headers
            )

        assert await outcomes(room, patch) == {
            "viewer": 403,
            "member": 200,
            "admin": 403,
            "owner": 403,
            "outsider": 404,
            "anonymous": 401,
        }
        final = await client.get(f"/api/v1/comments/{comment['id']}", headers=room.owner.headers)
        assert final.json()["body"] == "by member"
        assert final.json()["version"] == 2

    async def test_a_viewer_still_edits_and_deletes_what_they_wrote_as_a_member(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        # tia is a member; the room's viewer was lowered before writing anything, so tia
        # writes, is lowered to viewer, and keeps control of her own words.
        comment = await comment_on(client, room.tia, task["id"], "before")
        lowered = await client.patch(
            f"/api/v1/rooms/{room.id}/members/{room.tia.id}",
            json={"role": "viewer"},
            headers=room.owner.headers,
        )
        assert lowered.status_code == 200
        edited = await client.patch(
            f"/api/v1/comments/{comment['id']}", json={"body": "after"}, headers=room.tia.headers
        )
        assert edited.status_code == 200, edited.text
        refused = await client.post(
            f"/api/v1/tasks/{task['id']}/comments", json={"body": "x"}, headers=room.tia.headers
        )
        assert_problem(refused, 403)
        deleted = await client.delete(f"/api/v1/comments/{comment['id']}", headers=room.tia.headers)
        assert deleted.status_code == 204

    async def test_deleting_someone_elses_comment_needs_admin_or_owner(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        async def delete(caller: str, headers: dict[str, str]) -> httpx.Response:
            author = room.admin if caller == "member" else room.member
            comment = await comment_on(client, author, task["id"])
            return await client.delete(f"/api/v1/comments/{comment['id']}", headers=headers)

        assert await outcomes(room, delete) == {
            "viewer": 403,
            "member": 403,
            "admin": 204,
            "owner": 204,
            "outsider": 404,
            "anonymous": 401,
        }

    async def test_members_and_above_delete_their_own_comments(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        for caller in ("member", "admin", "owner"):
            person = room.by_role(caller)
            comment = await comment_on(client, person, task["id"])
            response = await client.delete(
                f"/api/v1/comments/{comment['id']}", headers=person.headers
            )
            assert response.status_code == 204, caller
            assert_problem(
                await client.get(f"/api/v1/comments/{comment['id']}", headers=person.headers), 404
            )

    async def test_reacting_needs_member_or_above_both_ways(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        comment = await comment_on(client, room.member, task["id"])
        path = f"/api/v1/comments/{comment['id']}/reactions/tada"

        async def put(caller: str, headers: dict[str, str]) -> httpx.Response:
            return await client.put(path, headers=headers)

        async def delete(caller: str, headers: dict[str, str]) -> httpx.Response:
            return await client.delete(path, headers=headers)

        assert await outcomes(room, put) == WRITERS
        shown = await client.get(f"/api/v1/comments/{comment['id']}", headers=room.owner.headers)
        assert shown.json()["reactions"] == [{"emoji": "🎉", "count": 3, "reacted": True}]
        assert await outcomes(room, delete) == WRITERS
        shown = await client.get(f"/api/v1/comments/{comment['id']}", headers=room.owner.headers)
        assert shown.json()["reactions"] == []
