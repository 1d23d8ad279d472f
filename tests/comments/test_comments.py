"""A discussion under a task: comments, replies, tombstones, edits with their revisions,
reactions, mentions, paging, idempotent retries, ETags, bad input and the rate limit."""

from typing import Any

import httpx
from sqlalchemy import func, select

from tasksync.comments.models import CommentRevision
from tasksync.comments.schemas import MAX_BODY
from tasksync.common.db import Database
from tests.comments.conftest import stored_comments, stored_reactions
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.comments import comment_on, comments_of
from tests.helpers.rooms import RoleRoom, create_room, join
from tests.helpers.stacks import AppFactory
from tests.helpers.tasks import all_pages, create_task


async def _events(comments_db: Database, event_type: str) -> list[dict[str, Any]]:
    outbox = comments_db.outbox.table
    async with comments_db.sessionmaker() as session:
        rows = await session.scalars(
            select(outbox.c.envelope).where(outbox.c.type == event_type).order_by(outbox.c.seq)
        )
        return [envelope["data"] for envelope in rows]


async def _revision_rows(comments_db: Database) -> int:
    async with comments_db.sessionmaker() as session:
        return (await session.scalar(select(func.count()).select_from(CommentRevision))) or 0


class TestDiscussion:
    async def test_two_people_discuss_a_task_with_a_reply_an_edit_a_mention_and_a_reaction(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        question = f"What do you think, @{room.admin.username}?"
        first = await comment_on(client, room.member, task["id"], question)
        assert first["author"] == {"id": room.member.id, "username": room.member.username}
        assert f'href="/users/{room.admin.id}"' in first["body_html"]
        assert first["parent_id"] is None
        assert first["deleted"] is False
        reply = await comment_on(
            client, room.admin, task["id"], "Looks **good**", parent_id=first["id"]
        )
        assert reply["parent_id"] == first["id"]
        assert "<strong>good</strong>" in reply["body_html"]
        edited = await client.patch(
            f"/api/v1/comments/{reply['id']}",
            json={"body": "Looks great"},
            headers={**room.admin.headers, "If-Match": '"1"'},
        )
        assert edited.status_code == 200, edited.text
        assert edited.headers["etag"] == '"2"'
        assert edited.json()["edited_at"] is not None
        revisions = await client.get(
            f"/api/v1/comments/{reply['id']}/revisions", headers=room.viewer.headers
        )
        assert revisions.json() == [{"body": "Looks **good**", "written_at": reply["created_at"]}]
        reacted = await client.put(
            f"/api/v1/comments/{reply['id']}/reactions/👍", headers=room.member.headers
        )
        assert reacted.status_code == 200, reacted.text
        assert reacted.json()["reactions"] == [{"emoji": "👍", "count": 1, "reacted": True}]
        listed = await comments_of(client, room.viewer, task["id"])
        assert [c["id"] for c in listed] == [first["id"], reply["id"]]
        assert listed[1]["body"] == "Looks great"
        assert listed[1]["reactions"] == [{"emoji": "👍", "count": 1, "reacted": False}]
        newest = await comments_of(client, room.viewer, task["id"], order="desc")
        assert [c["id"] for c in newest] == [reply["id"], first["id"]]

    async def test_every_edit_keeps_the_body_it_replaces_with_when_it_was_written(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        comment = await comment_on(client, room.member, task["id"], "one")
        path = f"/api/v1/comments/{comment['id']}"
        times = [comment["created_at"]]
        for body in ("two", "three"):
            edited = await client.patch(path, json={"body": body}, headers=room.member.headers)
            times.append(edited.json()["edited_at"])
        same = await client.patch(path, json={"body": "three"}, headers=room.member.headers)
        assert same.json()["version"] == 3
        revisions = await client.get(f"{path}/revisions", headers=room.member.headers)
        assert revisions.json() == [
            {"body": "one", "written_at": times[0]},
            {"body": "two", "written_at": times[1]},
        ]


class TestTombstones:
    async def test_a_deleted_comment_keeps_its_place_without_its_body_history_or_reactions(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        top = await comment_on(client, room.member, task["id"], "secret plan")
        reply = await comment_on(client, room.admin, task["id"], "agreed", parent_id=top["id"])
        await client.patch(
            f"/api/v1/comments/{top['id']}", json={"body": "plan"}, headers=room.member.headers
        )
        await client.put(f"/api/v1/comments/{top['id']}/reactions/eyes", headers=room.admin.headers)
        deleted = await client.delete(f"/api/v1/comments/{top['id']}", headers=room.owner.headers)
        assert deleted.status_code == 204
        listed = await comments_of(client, room.member, task["id"])
        assert [c["id"] for c in listed] == [top["id"], reply["id"]]
        tombstone = listed[0]
        assert tombstone["deleted"] is True
        assert tombstone["body"] is None
        assert tombstone["body_html"] is None
        assert tombstone["reactions"] == []
        assert listed[1]["parent_id"] == top["id"]
        for response in (
            await client.get(f"/api/v1/comments/{top['id']}", headers=room.member.headers),
            await client.get(f"/api/v1/comments/{top['id']}/revisions", headers=room.owner.headers),
            await client.delete(f"/api/v1/comments/{top['id']}", headers=room.owner.headers),
        ):
            assert_problem(response, 404)
        assert await _revision_rows(comments_db) == 0
        assert await stored_reactions(comments_db) == 0
        (event,) = await _events(comments_db, "comment.deleted")
        assert event["author_id"] == room.member.id


class TestPaging:
    async def test_pages_walk_every_comment_once_in_both_orders(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        authors = (room.member, room.admin, room.owner)
        ids = [
            (await comment_on(client, authors[i % 3], task["id"], f"c{i}"))["id"] for i in range(7)
        ]
        path = f"/api/v1/tasks/{task['id']}/comments"
        assert [c["id"] for c in await all_pages(client, room.viewer, path, limit=2)] == ids
        newest = await all_pages(client, room.viewer, path, limit=3, order="desc")
        assert [c["id"] for c in newest] == ids[::-1]

    @ONE_BACKEND
    async def test_a_cursor_not_ours_or_of_the_other_order_is_400_and_a_bad_order_422(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        path = f"/api/v1/tasks/{task['id']}/comments"
        bad = await client.get(path, params={"cursor": "nope"}, headers=room.member.headers)
        assert_problem(bad, 400)
        for _ in range(2):
            await comment_on(client, room.member, task["id"])
        first = await client.get(path, params={"limit": 1}, headers=room.member.headers)
        other_order = await client.get(
            path,
            params={"cursor": first.json()["next_cursor"], "order": "desc"},
            headers=room.member.headers,
        )
        assert_problem(other_order, 400)
        order = await client.get(path, params={"order": "sideways"}, headers=room.member.headers)
        assert_problem(order, 422)


class TestRetriesAndVersions:
    async def test_a_retry_with_the_same_idempotency_key_creates_one_comment(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        path = f"/api/v1/tasks/{task['id']}/comments"
        headers = {**room.member.headers, "Idempotency-Key": "retry-1"}
        first = await client.post(path, json={"body": "once"}, headers=headers)
        again = await client.post(path, json={"body": "once"}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        other = await client.post(path, json={"body": "another"}, headers=headers)
        assert_problem(other, 422)
        assert await stored_comments(comments_db, task_id=task["id"]) == 1
        assert len(await _events(comments_db, "comment.created")) == 1

    async def test_a_stale_if_match_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        comment = await comment_on(client, room.member, task["id"], "v1")
        path = f"/api/v1/comments/{comment['id']}"
        read = await client.get(path, headers=room.member.headers)
        assert read.headers["etag"] == '"1"'
        await client.patch(path, json={"body": "v2"}, headers=room.member.headers)
        stale = {**room.member.headers, "If-Match": '"1"'}
        assert_problem(await client.patch(path, json={"body": "v3"}, headers=stale), 412)
        assert_problem(await client.delete(path, headers=stale), 412)
        final = await client.get(path, headers=room.member.headers)
        assert final.json()["body"] == "v2"
        assert await _revision_rows(comments_db) == 1


class TestBadInput:
    @ONE_BACKEND
    async def test_bodies_outside_the_limits_are_422_and_nothing_is_written(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        path = f"/api/v1/tasks/{task['id']}/comments"
        for body in (
            {"body": ""},
            {"body": "   \n "},
            {"body": "x" * (MAX_BODY + 1)},
            {},
            {"body": "ok", "parent": None},
            {"body": 5},
            {"body": "nul \x00 here"},
        ):
            response = await client.post(path, json=body, headers=room.member.headers)
            assert_problem(response, 422)
        assert await stored_comments(comments_db) == 0
        longest = await comment_on(client, room.member, task["id"], "x" * MAX_BODY)
        edit = await client.patch(
            f"/api/v1/comments/{longest['id']}", json={"body": ""}, headers=room.member.headers
        )
        assert_problem(edit, 422)

    @ONE_BACKEND
    async def test_an_emoji_outside_the_allowed_set_is_422(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        comment = await comment_on(client, room.member, task["id"])
        for emoji in ("💩", "poop", "x" * 50):
            response = await client.put(
                f"/api/v1/comments/{comment['id']}/reactions/{emoji}", headers=room.member.headers
            )
            body = assert_problem(response, 422)
            assert "thumbs_up" in body["detail"]
        assert await stored_reactions(comments_db) == 0

    async def test_reacting_twice_or_taking_back_a_missing_reaction_changes_nothing(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        comment = await comment_on(client, room.member, task["id"])
        path = f"/api/v1/comments/{comment['id']}/reactions/heart"
        for _ in range(2):
            assert (await client.put(path, headers=room.admin.headers)).status_code == 200
        assert (await client.delete(path, headers=room.owner.headers)).status_code == 200
        shown = await client.put(f"{path.rsplit('/', 1)[0]}/❤", headers=room.owner.headers)
        assert shown.json()["reactions"] == [{"emoji": "❤️", "count": 2, "reacted": True}]
        assert len(await _events(comments_db, "reaction.added")) == 2
        assert await _events(comments_db, "reaction.removed") == []


class TestMentions:
    async def test_members_mentioned_are_announced_and_outsiders_stay_plain_text(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        body = f"@{room.admin.username} and @{room.outsider.username} and @nobody_at_all"
        comment = await comment_on(client, room.member, task["id"], body)
        assert comment["body_html"].count("<a ") == 1
        assert f"@{room.outsider.username}" in comment["body_html"]
        (created,) = await _events(comments_db, "comment.created")
        assert created["mentioned_user_ids"] == [room.admin.id]
        assert created["room_id"] == room.id
        assert created["task_id"] == task["id"]
        assert created["author_id"] == room.member.id

    async def test_an_edit_announces_only_the_newly_mentioned(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        comment = await comment_on(client, room.member, task["id"], f"@{room.admin.username}")
        edited = await client.patch(
            f"/api/v1/comments/{comment['id']}",
            json={"body": f"@{room.admin.username} @{room.owner.username}"},
            headers=room.member.headers,
        )
        assert edited.status_code == 200
        (updated,) = await _events(comments_db, "comment.updated")
        assert updated["mentioned_user_ids"] == [room.owner.id]
        assert updated["version"] == 2


class TestRateLimit:
    async def test_a_burst_of_comments_then_429_with_retry_after(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(comments_per_user=3) as running, running.client() as client:
            ana = await signed_up(client, "ana")
            room = await create_room(client, ana)
            task = await create_task(client, ana, room["id"])
            for i in range(3):
                await comment_on(client, ana, task["id"], f"c{i}")
            refused = await client.post(
                f"/api/v1/tasks/{task['id']}/comments", json={"body": "more"}, headers=ana.headers
            )
            assert_problem(refused, 429)
            assert int(refused.headers["retry-after"]) >= 1
            assert len(await comments_of(client, ana, task["id"])) == 3
            bob = await signed_up(client, "bob")
            await join(client, bob, room["code"])
            # The limit is per person: someone else still writes.
            assert await _can_comment(client, bob, task["id"])


async def _can_comment(client: httpx.AsyncClient, person: Any, task_id: str) -> bool:
    response = await client.post(
        f"/api/v1/tasks/{task_id}/comments", json={"body": "mine"}, headers=person.headers
    )
    return response.status_code == 201
