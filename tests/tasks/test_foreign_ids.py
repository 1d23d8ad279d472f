"""Ids from a room the caller is not in: every route answers 404, like an unknown id, and
nothing changes."""

import uuid

import httpx

from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import RoleRoom, create_room
from tests.helpers.tasks import create_task


@ONE_BACKEND
class TestForeignIds:
    async def test_every_route_answers_404_for_a_task_or_room_of_another_room(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Secret")
        # The outsider is an owner somewhere else, so every role check could pass.
        await create_room(client, room.outsider, "Elsewhere")
        headers = room.outsider.headers
        attempts = [
            await client.get(f"/api/v1/tasks/{task['id']}", headers=headers),
            await client.patch(
                f"/api/v1/tasks/{task['id']}", json={"title": "Mine now"}, headers=headers
            ),
            await client.patch(
                f"/api/v1/tasks/{task['id']}",
                json={"title": "Mine now"},
                headers={**headers, "If-Match": '"1"'},
            ),
            await client.delete(f"/api/v1/tasks/{task['id']}", headers=headers),
            await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=headers),
            await client.post(
                f"/api/v1/rooms/{room.id}/tasks", json={"title": "Planted"}, headers=headers
            ),
            # bad input from an outsider still says nothing about the room
            await client.post(f"/api/v1/rooms/{room.id}/tasks", json={}, headers=headers),
        ]
        for response in attempts:
            assert_problem(response, 404)
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert listed.json()["items"] == [task]
        mine = await client.get("/api/v1/tasks", params={"assignee": "any"}, headers=headers)
        assert mine.json()["items"] == []

    async def test_unknown_ids_answer_404_the_same_way(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        unknown = uuid.uuid4()
        headers = room.owner.headers
        for response in [
            await client.get(f"/api/v1/tasks/{unknown}", headers=headers),
            await client.patch(f"/api/v1/tasks/{unknown}", json={"title": "x"}, headers=headers),
            await client.delete(f"/api/v1/tasks/{unknown}", headers=headers),
            await client.get(f"/api/v1/rooms/{unknown}/tasks", headers=headers),
            await client.post(
                f"/api/v1/rooms/{unknown}/tasks", json={"title": "x"}, headers=headers
            ),
        ]:
            assert_problem(response, 404)
