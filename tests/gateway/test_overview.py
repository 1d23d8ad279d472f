"""The gateway's overview: assembled from users, rooms and tasks, cached per user, and fresh
after the user's own writes."""

import httpx

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
