"""Concurrent writes on PostgreSQL: lost-update protection on edits, one reaction per
person and emoji however many arrive at once."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tasksync.common.db import Database
from tests.comments.conftest import stored_reactions
from tests.helpers.comments import comment_on
from tests.helpers.rooms import RoleRoom

pytestmark = pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)


class TestConcurrentEdits:
    async def test_two_patches_with_the_same_if_match_give_one_200_and_one_412(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        comment = await comment_on(client, room.member, task["id"], "v1")

        async def patch(body: str) -> httpx.Response:
            return await client.patch(
                f"/api/v1/comments/{comment['id']}",
                json={"body": body},
                headers={**room.member.headers, "If-Match": '"1"'},
            )

        responses = await asyncio.gather(patch("first"), patch("second"))
        assert sorted(r.status_code for r in responses) == [200, 412]
        (winner,) = [r for r in responses if r.status_code == 200]
        final = await client.get(f"/api/v1/comments/{comment['id']}", headers=room.owner.headers)
        assert final.json()["body"] == winner.json()["body"]
        assert final.json()["version"] == 2
        revisions = await client.get(
            f"/api/v1/comments/{comment['id']}/revisions", headers=room.owner.headers
        )
        assert [r["body"] for r in revisions.json()] == ["v1"]


class TestConcurrentReactions:
    async def test_fifty_identical_reactions_at_once_make_one(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any], comments_db: Database
    ) -> None:
        comment = await comment_on(client, room.member, task["id"])
        path = f"/api/v1/comments/{comment['id']}/reactions/rocket"
        responses = await asyncio.gather(
            *(client.put(path, headers=room.admin.headers) for _ in range(50))
        )
        assert {r.status_code for r in responses} == {200}
        assert await stored_reactions(comments_db) == 1
        shown = await client.get(f"/api/v1/comments/{comment['id']}", headers=room.admin.headers)
        assert shown.json()["reactions"] == [{"emoji": "🚀", "count": 1, "reacted": True}]
        outbox = comments_db.outbox.table
        async with comments_db.sessionmaker() as session:
            added = await session.scalar(
                select(func.count()).where(outbox.c.type == "reaction.added")
            )
        assert added == 1
