"""Concurrent writes on PostgreSQL: gap-free numbering and lost-update protection."""

import asyncio

import httpx
import pytest

from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import all_pages, create_task

pytestmark = pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)


class TestConcurrentCreates:
    async def test_two_hundred_creates_in_one_room_are_numbered_1_to_200(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        gate = asyncio.Semaphore(50)

        async def create(i: int) -> httpx.Response:
            async with gate:
                return await client.post(
                    f"/api/v1/rooms/{room.id}/tasks",
                    json={"title": f"task {i}"},
                    headers=room.member.headers,
                )

        responses = await asyncio.gather(*(create(i) for i in range(200)))
        assert [r.status_code for r in responses] == [201] * 200
        assert sorted(r.json()["number"] for r in responses) == list(range(1, 201))
        listed = await all_pages(client, room.member, f"/api/v1/rooms/{room.id}/tasks", limit=200)
        assert [t["number"] for t in listed] == list(range(1, 201))


class TestConcurrentUpdates:
    async def test_two_patches_with_the_same_if_match_give_one_200_and_one_412(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)

        async def patch(who: str) -> httpx.Response:
            return await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"title": f"by {who}"},
                headers={**room.by_role(who).headers, "If-Match": '"1"'},
            )

        responses = await asyncio.gather(patch("member"), patch("admin"))
        assert sorted(r.status_code for r in responses) == [200, 412]
        (winner,) = [r for r in responses if r.status_code == 200]
        final = await client.get(f"/api/v1/tasks/{task['id']}", headers=room.owner.headers)
        assert final.json()["title"] == winner.json()["title"]
        assert final.json()["version"] == 2


class TestConcurrentRetries:
    async def test_two_creates_racing_with_one_idempotency_key_create_one_task(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        async def create() -> httpx.Response:
            return await client.post(
                f"/api/v1/rooms/{room.id}/tasks",
                json={"title": "Once"},
                headers={**room.member.headers, "Idempotency-Key": "race"},
            )

        responses = await asyncio.gather(create(), create())
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([201, 201], [201, 409])
        listed = await all_pages(client, room.member, f"/api/v1/rooms/{room.id}/tasks")
        assert len(listed) == 1
        retried = await create()
        assert retried.status_code == 201
        assert retried.json()["id"] == listed[0]["id"]
