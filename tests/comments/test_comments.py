"""A discussion under a task: comments, replies, tombstones, edits with their revisions,
reactions, mentions, idempotent retries, ETags and the rate limit."""

from typing import Any

import httpx

from tests.helpers.comments import comment_on, comments_of
from tests.helpers.rooms import RoleRoom


class TestDiscussion:
    async def test_two_people_discuss_a_task_with_a_reply_an_edit_a_mention_and_a_reaction(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        first = await comment_on(
            client, room.member, task["id"], f"What do you think, @{room.admin.username}?"
        )
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
        assert [r["body"] for r in revisions.json()] == ["Looks **good**"]
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
        task_now = await client.get(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert task_now.json()["comment_count"] == 2
