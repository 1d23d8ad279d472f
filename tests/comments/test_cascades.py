"""What other services' events do to comments, with real events from tasks, rooms and
users, and the comment count tasks keeps from the comments service's events."""

import asyncio
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import delete, select

from tasksync.comments.models import task_rooms
from tasksync.common.db import Database
from tests.comments.conftest import stored_comments, stored_reactions
from tests.helpers.builders import DEFAULT_PASSWORD, assert_problem, signed_up
from tests.helpers.comments import comment_on, comments_of
from tests.helpers.rooms import RoleRoom, create_room, join
from tests.helpers.tasks import create_task, get_task
from tests.helpers.waiting import eventually


async def _comment_count(client: httpx.AsyncClient, room: RoleRoom, task_id: str) -> int:
    return (await get_task(client, room.owner, task_id)).json()["comment_count"]


async def _known_task(comments_db: Database, task_id: str) -> tuple[Any, ...] | None:
    c = task_rooms.table.c
    async with comments_db.sessionmaker() as session:
        row = (
            await session.execute(select(c.room_id, c.deleted_at).where(c.task_id == UUID(task_id)))
        ).first()
        return None if row is None else tuple(row)


class TestTaskDeleted:
    async def test_its_comments_replies_and_reactions_go_with_it(
        self, client: httpx.AsyncClient, room: RoleRoom, comments_db: Database
    ) -> None:
        task = await create_task(client, room.member, room.id)
        kept_task = await create_task(client, room.member, room.id, "Kept")
        top = await comment_on(client, room.member, task["id"])
        await comment_on(client, room.admin, task["id"], parent_id=top["id"])
        await client.put(f"/api/v1/comments/{top['id']}/reactions/eyes", headers=room.admin.headers)
        kept = await comment_on(client, room.member, kept_task["id"])
        response = await client.delete(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert response.status_code == 204

        async def gone() -> bool:
            return await stored_comments(comments_db, task_id=task["id"]) == 0

        await eventually(gone)
        assert await stored_reactions(comments_db) == 0
        assert_problem(
            await client.get(f"/api/v1/comments/{top['id']}", headers=room.member.headers), 404
        )
        refused = await client.post(
            f"/api/v1/tasks/{task['id']}/comments",
            json={"body": "late"},
            headers=room.member.headers,
        )
        assert_problem(refused, 404)
        assert await stored_comments(comments_db, task_id=task["id"]) == 0
        assert [c["id"] for c in await comments_of(client, room.member, kept_task["id"])] == [
            kept["id"]
        ]

    async def test_a_task_deleted_while_comments_are_written_keeps_none(
        self, client: httpx.AsyncClient, room: RoleRoom, comments_db: Database
    ) -> None:
        task = await create_task(client, room.member, room.id)
        await comment_on(client, room.member, task["id"], "first")
        authors = (room.member, room.admin, room.owner)

        async def write(i: int) -> httpx.Response:
            return await client.post(
                f"/api/v1/tasks/{task['id']}/comments",
                json={"body": f"racing {i}"},
                headers=authors[i % 3].headers,
            )

        async def delete_task() -> httpx.Response:
            await asyncio.sleep(0)
            return await client.delete(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)

        *writes, deleted = await asyncio.gather(*(write(i) for i in range(20)), delete_task())
        assert deleted.status_code == 204
        assert {r.status_code for r in writes} <= {201, 404}

        async def marked_deleted() -> bool:
            known = await _known_task(comments_db, task["id"])
            return known is not None and known[1] is not None

        await eventually(marked_deleted)
        assert await stored_comments(comments_db, task_id=task["id"]) == 0


class TestRoomDeleted:
    async def test_all_its_comments_go_with_it(
        self, client: httpx.AsyncClient, room: RoleRoom, comments_db: Database
    ) -> None:
        tasks = [await create_task(client, room.member, room.id) for _ in range(2)]
        for task in tasks:
            await comment_on(client, room.member, task["id"])
        other = await create_room(client, room.member, "Other")
        other_task = await create_task(client, room.member, other["id"])
        await comment_on(client, room.member, other_task["id"])
        response = await client.delete(f"/api/v1/rooms/{room.id}", headers=room.owner.headers)
        assert response.status_code == 204

        async def emptied() -> bool:
            return await stored_comments(comments_db, room_id=room.id) == 0

        await eventually(emptied)
        assert await stored_comments(comments_db, room_id=other["id"]) == 1


class TestMemberRemoved:
    async def test_their_comments_stay_and_their_access_ends(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        comment = await comment_on(client, room.tia, task["id"], "I was here")
        response = await client.delete(
            f"/api/v1/rooms/{room.id}/members/{room.tia.id}", headers=room.owner.headers
        )
        assert response.status_code == 204
        assert_problem(
            await client.get(f"/api/v1/comments/{comment['id']}", headers=room.tia.headers), 404
        )
        (shown,) = await comments_of(client, room.member, task["id"])
        assert shown["body"] == "I was here"
        assert shown["author"] == {"id": room.tia.id, "username": room.tia.username}


class TestAccountDeleted:
    async def test_their_comments_stay_without_an_author_and_their_reactions_go(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        leaving = await signed_up(client, "leaving")
        await join(client, leaving, room.code)
        comment = await comment_on(client, leaving, task["id"], "bye")
        other = await comment_on(client, room.member, task["id"])
        await client.put(f"/api/v1/comments/{other['id']}/reactions/heart", headers=leaving.headers)
        response = await client.request(
            "DELETE",
            "/api/v1/users/me",
            json={"password": DEFAULT_PASSWORD},
            headers=leaving.headers,
        )
        assert response.status_code == 204

        async def anonymous() -> bool:
            shown = await client.get(
                f"/api/v1/comments/{comment['id']}", headers=room.member.headers
            )
            return shown.json()["author"] is None

        await eventually(anonymous)
        shown = await client.get(f"/api/v1/comments/{comment['id']}", headers=room.member.headers)
        assert shown.json()["body"] == "bye"
        reacted = await client.get(f"/api/v1/comments/{other['id']}", headers=room.member.headers)
        assert reacted.json()["reactions"] == []


class TestCommentCount:
    async def test_tasks_count_comments_written_and_deleted_in_lists_and_reads(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        assert task["comment_count"] == 0
        comments = [await comment_on(client, room.member, task["id"]) for _ in range(3)]
        await eventually(lambda: _has_count(client, room, task["id"], 3))
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert [t["comment_count"] for t in listed.json()["items"]] == [3]
        await client.delete(f"/api/v1/comments/{comments[0]['id']}", headers=room.member.headers)
        await eventually(lambda: _has_count(client, room, task["id"], 2))
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert [t["comment_count"] for t in listed.json()["items"]] == [2]
        assert (await get_task(client, room.member, task["id"])).json()["version"] == 1


async def _has_count(client: httpx.AsyncClient, room: RoleRoom, task_id: str, count: int) -> bool:
    return await _comment_count(client, room, task_id) == count


class TestTaskReplica:
    async def test_a_task_the_replica_has_not_heard_of_is_asked_about_and_kept(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        await eventually(lambda: _known_task(comments_db, task["id"]))
        async with comments_db.sessionmaker.begin() as session:
            await session.execute(delete(task_rooms.table))
        assert_problem(
            await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=room.outsider.headers),
            404,
        )
        assert await _known_task(comments_db, task["id"]) is None
        await comment_on(client, room.member, task["id"])
        assert await _known_task(comments_db, task["id"]) == (UUID(room.id), None)
