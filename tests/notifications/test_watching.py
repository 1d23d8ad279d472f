"""Watching a task: creators and assignees watch by themselves, anyone who can see the task
may watch or stop; outsiders get 404."""

import httpx

from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import ROLES, RoleRoom
from tests.helpers.tasks import create_task
from tests.helpers.waiting import eventually
from tests.notifications.conftest import kinds_of, told
from tests.notifications.test_kinds import comment


def watch(task_id: str) -> str:
    return f"/api/v1/tasks/{task_id}/watch"


def watchers(task_id: str) -> str:
    return f"/api/v1/tasks/{task_id}/watchers"


async def usernames(client: httpx.AsyncClient, room: RoleRoom, task_id: str) -> list[str]:
    response = await client.get(watchers(task_id), headers=room.viewer.headers)
    assert response.status_code == 200, response.text
    return [w["username"] for w in response.json()]


class TestWatching:
    async def test_creator_and_assignee_watch_by_themselves(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget", assignee_id=room.tia.id)

        async def both() -> list[str] | None:
            found = await usernames(client, room, task["id"])
            return found if len(found) == 2 else None

        assert sorted(await eventually(both)) == ["member_person", "tia_person"]
        response = await client.get(watchers(task["id"]), headers=room.viewer.headers)
        reasons = {w["username"]: w["reason"] for w in response.json()}
        assert reasons == {"member_person": "creator", "tia_person": "assignee"}

    async def test_every_role_may_watch_and_then_hears_of_comments(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.tia, room.id, "Budget")
        people = [room.by_role(role) for role in ROLES]
        for person in people:
            response = await client.put(watch(task["id"]), headers=person.headers)
            assert response.status_code == 204, response.text
            assert person.username in await usernames(client, room, task["id"])
        await comment(client, room.tia, task["id"], "news")
        for person in people:
            (found,) = await told(client, person, "commented")
            assert found["text"] == "tia_person commented on #1 Budget"

    async def test_who_stops_watching_hears_nothing_more(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget", assignee_id=room.tia.id)
        await told(client, room.tia, "assigned")
        response = await client.delete(watch(task["id"]), headers=room.tia.headers)
        assert response.status_code == 204
        await client.put(watch(task["id"]), headers=room.viewer.headers)
        await comment(client, room.admin, task["id"], "news")
        await told(client, room.viewer, "commented")
        await told(client, room.member, "commented")
        assert await kinds_of(client, room.tia, "commented") == []

    @ONE_BACKEND
    async def test_an_outsider_gets_404_on_every_route_and_anonymous_401(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Budget")
        for method, path in (
            ("PUT", watch(task["id"])),
            ("DELETE", watch(task["id"])),
            ("GET", watchers(task["id"])),
        ):
            assert_problem(await client.request(method, path, headers=room.outsider.headers), 404)
            assert_problem(await client.request(method, path), 401)
        assert room.outsider.username not in await usernames(client, room, task["id"])

    @ONE_BACKEND
    async def test_an_unknown_task_is_404_and_a_malformed_id_422(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        missing = "01900000-0000-7000-8000-000000000009"
        assert_problem(await client.put(watch(missing), headers=room.member.headers), 404)
        assert_problem(await client.put(watch("nope"), headers=room.member.headers), 422)
