"""The gateway's overview: assembled from users, rooms and tasks, cached per user, and fresh
after the user's own writes."""

import asyncio
from uuid import uuid4

import httpx
import pytest

from tasksync.common.errors import ServiceUnavailable
from tasksync.common.observability import HTTP_REQUESTS
from tasksync.gateway.overview import OverviewCache
from tests.helpers.builders import Person, assert_problem, signed_up
from tests.helpers.rooms import create_room, join


async def _task(client: httpx.AsyncClient, person: Person, room_id: str, **fields: object) -> dict:
    response = await client.post(
        f"/api/v1/rooms/{room_id}/tasks", json={"title": "A task", **fields}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestOverview:
    async def test_it_shows_profile_rooms_and_open_tasks_assigned_to_me(
        self, client: httpx.AsyncClient
    ) -> None:
        ann, bob = await signed_up(client, "ann"), await signed_up(client, "bob")
        room = await create_room(client, ann, "Launch")
        await join(client, bob, room["code"])
        mine = await _task(client, ann, room["id"], title="Mine", assignee_id=ann.id)
        await _task(client, ann, room["id"], title="Bob's", assignee_id=bob.id)
        await _task(
            client, ann, room["id"], title="Started", assignee_id=ann.id, status="in_progress"
        )

        body = (await client.get("/api/v1/overview", headers=ann.headers)).json()

        assert body["user"]["username"] == "ann"
        assert [(r["name"], r["my_role"]) for r in body["rooms"]] == [("Launch", "owner")]
        assert {t["title"] for t in body["open_tasks"]} == {"Mine", "Started"}
        assert mine["id"] in {t["id"] for t in body["open_tasks"]}
        assert body["open_task_counts"] == {"pending": 1, "in_progress": 1}
        assert body["unavailable"] == []

    async def test_my_own_writes_show_at_once_despite_the_cache(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        room = await create_room(client, ann)
        before = (await client.get("/api/v1/overview", headers=ann.headers)).json()
        await _task(client, ann, room["id"], title="New", assignee_id=ann.id)
        after = (await client.get("/api/v1/overview", headers=ann.headers)).json()
        assert before["open_tasks"] == []
        assert [t["title"] for t in after["open_tasks"]] == ["New"]

    async def test_someone_elses_overview_is_not_mine(self, client: httpx.AsyncClient) -> None:
        ann, bob = await signed_up(client, "ann"), await signed_up(client, "bob")
        await create_room(client, ann, "Ann's")
        await client.get("/api/v1/overview", headers=ann.headers)
        body = (await client.get("/api/v1/overview", headers=bob.headers)).json()
        assert body["user"]["username"] == "bob"
        assert body["rooms"] == []

    async def test_an_anonymous_caller_gets_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/overview"), 401)


def _users_me_served() -> float:
    return HTTP_REQUESTS.labels("users", "GET", "/api/v1/users/me", "200")._value.get()


class TestOneBuildAtATime:
    async def test_concurrent_overviews_of_a_user_are_built_once(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        before = _users_me_served()
        answers = await asyncio.gather(
            *(client.get("/api/v1/overview", headers=ann.headers) for _ in range(10))
        )
        assert {a.status_code for a in answers} == {200}
        assert {a.json()["user"]["username"] for a in answers} == {"ann"}
        assert _users_me_served() - before == 1

    async def test_waiters_of_a_failed_build_build_their_own(self) -> None:
        cache = OverviewCache(None, "test", ttl=5)
        user, calls = uuid4(), []
        started = asyncio.Event()

        async def build() -> tuple[bytes, bool]:
            calls.append(1)
            if len(calls) == 1:
                started.set()
                await asyncio.sleep(0.05)
                raise ServiceUnavailable("users is down")
            return b"{}", True

        first = asyncio.create_task(cache.get_or_build(user, build))
        await started.wait()
        second = await cache.get_or_build(user, build)
        with pytest.raises(ServiceUnavailable):
            await first
        assert second == b"{}"
        assert len(calls) == 2

    async def test_a_build_that_a_write_forgot_is_not_cached(self) -> None:
        cache = OverviewCache(None, "test", ttl=5)
        user = uuid4()
        started, finish = asyncio.Event(), asyncio.Event()

        async def old_build() -> tuple[bytes, bool]:
            started.set()
            await finish.wait()
            return b'"before the write"', True

        building = asyncio.create_task(cache.get_or_build(user, old_build))
        await started.wait()
        await cache.forget(user)  # the user wrote something meanwhile
        finish.set()
        assert await building == b'"before the write"'
        assert await cache.get(user) is None
