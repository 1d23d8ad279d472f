"""Ids from elsewhere: a task of another room, a reply to a comment of another task or to a
reply, a comment id under another task's path. Each is a 404 or 422 and writes nothing."""

from typing import Any
from uuid import UUID

import httpx

from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tests.comments.conftest import stored_comments
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem
from tests.helpers.comments import comment_on
from tests.helpers.rooms import RoleRoom, create_room
from tests.helpers.tasks import create_task


@ONE_BACKEND
class TestTasksOfOtherRooms:
    async def test_a_task_of_a_room_you_are_not_in_is_404_for_every_route(
        self, client: httpx.AsyncClient, room: RoleRoom, comments_db: Database
    ) -> None:
        other = await create_room(client, room.outsider, "Elsewhere")
        foreign = await create_task(client, room.outsider, other["id"])
        path = f"/api/v1/tasks/{foreign['id']}/comments"
        written = await client.post(path, json={"body": "sneaky"}, headers=room.member.headers)
        assert_problem(written, 404)
        assert_problem(await client.get(path, headers=room.member.headers), 404)
        assert await stored_comments(comments_db) == 0

    async def test_a_task_that_does_not_exist_is_404(
        self, client: httpx.AsyncClient, room: RoleRoom, comments_db: Database
    ) -> None:
        path = f"/api/v1/tasks/{uuid7()}/comments"
        assert_problem(
            await client.post(path, json={"body": "x"}, headers=room.member.headers), 404
        )
        assert await stored_comments(comments_db) == 0

    async def test_a_comment_of_a_room_you_are_not_in_is_404_for_every_route(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        comment = await comment_on(client, room.member, task["id"])
        base = f"/api/v1/comments/{comment['id']}"
        headers = room.outsider.headers
        for response in (
            await client.get(base, headers=headers),
            await client.patch(base, json={"body": "x"}, headers=headers),
            await client.delete(base, headers=headers),
            await client.get(f"{base}/revisions", headers=headers),
            await client.put(f"{base}/reactions/eyes", headers=headers),
            await client.delete(f"{base}/reactions/eyes", headers=headers),
        ):
            assert_problem(response, 404)
        shown = await client.get(base, headers=room.member.headers)
        assert shown.json()["body"] == "A comment"
        assert shown.json()["reactions"] == []


@ONE_BACKEND
class TestReplies:
    async def test_a_parent_from_another_task_is_422_and_nothing_is_written(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        other_task = await create_task(client, room.member, room.id, "Other")
        elsewhere = await comment_on(client, room.member, other_task["id"])
        response = await client.post(
            f"/api/v1/tasks/{task['id']}/comments",
            json={"body": "reply", "parent_id": elsewhere["id"]},
            headers=room.member.headers,
        )
        body = assert_problem(response, 422)
        assert "parent_id" in body["detail"]
        assert await stored_comments(comments_db, task_id=task["id"]) == 0

    async def test_a_reply_to_a_reply_is_422(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        top = await comment_on(client, room.member, task["id"])
        reply = await comment_on(client, room.admin, task["id"], parent_id=top["id"])
        response = await client.post(
            f"/api/v1/tasks/{task['id']}/comments",
            json={"body": "deeper", "parent_id": reply["id"]},
            headers=room.member.headers,
        )
        assert_problem(response, 422)
        assert await stored_comments(comments_db, task_id=task["id"]) == 2

    async def test_a_parent_that_does_not_exist_or_was_deleted_is_422(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        gone = await comment_on(client, room.member, task["id"])
        await client.delete(f"/api/v1/comments/{gone['id']}", headers=room.member.headers)
        for parent_id in (str(uuid7()), gone["id"]):
            response = await client.post(
                f"/api/v1/tasks/{task['id']}/comments",
                json={"body": "reply", "parent_id": parent_id},
                headers=room.member.headers,
            )
            assert_problem(response, 422)

    async def test_a_comment_id_under_another_tasks_path_is_404(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        other_task = await create_task(client, room.member, room.id, "Other")
        comment = await comment_on(client, room.member, task["id"])
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(
                method,
                f"/api/v1/tasks/{other_task['id']}/comments/{comment['id']}",
                headers=room.member.headers,
                **({"json": {"body": "x"}} if method == "PATCH" else {}),
            )
            assert_problem(response, 404)
        still = await client.get(f"/api/v1/comments/{comment['id']}", headers=room.member.headers)
        assert still.json()["body"] == "A comment"
        assert UUID(still.json()["task_id"]) == UUID(task["id"])
