"""Bad input on every write is a 422 problem, and nothing is written."""

from typing import Any

import httpx
import pytest

from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.rooms import RoleRoom
from tests.helpers.tasks import create_task

# Bad input is refused before any query, the same on both backends: the embedded one alone.
pytestmark = pytest.mark.only_backend("sqlite")

BAD_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("title is not a string", {"title": 12}),
    ("title is blank", {"title": "   "}),
    ("title is too long", {"title": "x" * 256}),
    ("description is too long", {"description": "x" * 20_001}),
    ("status is unknown", {"status": "done"}),
    ("priority is unknown", {"priority": "critical"}),
    ("deadline is not a date", {"deadline": "next tuesday"}),
    ("deadline has no zone", {"deadline": "2030-01-01T10:00:00"}),
    ("deadline is a number", {"deadline": 0}),
    ("deadline is a numeric string", {"deadline": "1700000000"}),
    ("deadline is past year 9999 in UTC", {"deadline": "9999-12-31T23:59:59-14:00"}),
    ("deadline is before year 1 in UTC", {"deadline": "0001-01-01T00:00:00+14:00"}),
    ("deadline is before 1900", {"deadline": "1899-12-31T23:59:59Z"}),
    ("title holds a NUL", {"title": "a\x00b"}),
    ("description holds a NUL", {"description": "a\x00b"}),
    ("a label holds a NUL", {"labels": ["a\x00"]}),
    ("assignee_id is not an id", {"assignee_id": "ann"}),
    ("labels is not a list", {"labels": "urgent"}),
    ("too many labels", {"labels": [f"l{i}" for i in range(21)]}),
    ("a label is too long", {"labels": ["x" * 41]}),
    ("a label has a comma", {"labels": ["a,b"]}),
    ("position is not a number", {"position": "top"}),
    ("a field is unknown", {"colour": "red"}),
]

BAD_QUERIES: list[dict[str, Any]] = [
    {"sort": "title"},
    {"sort": "--deadline"},
    {"limit": 0},
    {"limit": 201},
    {"status": "done"},
    {"priority": "critical"},
    {"assignee": "someone"},
    {"due_before": "soon"},
    {"due_after": "2030-01-01T00:00:00"},
    {"due_before": "0"},
    {"due_before": "9999-12-31T23:59:59-14:00"},
    {"due_after": "0001-01-01T00:00:00+14:00"},
    {"q": "a\x00"},
    {"label": "a\x00"},
    {"number": 0},
    {"number": "three"},
    {"overdue": "maybe"},
    {"q": ""},
]


class TestCreatingWithBadInput:
    async def test_every_bad_body_is_refused_and_writes_nothing(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for case, fields in BAD_BODIES:
            response = await client.post(
                f"/api/v1/rooms/{room.id}/tasks",
                json={"title": "Valid", **fields},
                headers=room.member.headers,
            )
            assert assert_problem(response, 422)["errors"], case
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert listed.json()["items"] == []

    async def test_a_missing_title_is_refused(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        response = await client.post(
            f"/api/v1/rooms/{room.id}/tasks", json={}, headers=room.member.headers
        )
        assert "title" in assert_problem(response, 422)["detail"]

    async def test_a_body_that_is_not_json_is_refused(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        response = await client.post(
            f"/api/v1/rooms/{room.id}/tasks",
            content=b"{not json",
            headers={**room.member.headers, "content-type": "application/json"},
        )
        assert_problem(response, 422)

    async def test_an_assignee_outside_the_room_is_refused_by_name(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        stranger = await signed_up(client, "stranger")
        response = await client.post(
            f"/api/v1/rooms/{room.id}/tasks",
            json={"title": "x", "assignee_id": stranger.id},
            headers=room.member.headers,
        )
        assert "assignee_id" in assert_problem(response, 422)["detail"]
        listed = await client.get(f"/api/v1/rooms/{room.id}/tasks", headers=room.member.headers)
        assert listed.json()["items"] == []
        # a failed request does not use up a number
        assert (await create_task(client, room.member, room.id))["number"] == 1


class TestChangingWithBadInput:
    async def test_every_bad_body_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id, "Original")
        for case, fields in BAD_BODIES:
            response = await client.patch(
                f"/api/v1/tasks/{task['id']}", json=fields, headers=room.member.headers
            )
            assert response.status_code == 422, case
            assert_problem(response, 422)
        after = await client.get(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert after.json() == task

    async def test_required_fields_cannot_be_cleared(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        for field in ("title", "status", "priority", "labels", "position"):
            response = await client.patch(
                f"/api/v1/tasks/{task['id']}", json={field: None}, headers=room.member.headers
            )
            assert field in assert_problem(response, 422)["detail"]

    async def test_an_assignee_outside_the_room_is_refused(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        task = await create_task(client, room.member, room.id)
        response = await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"assignee_id": room.outsider.id, "title": "Changed"},
            headers=room.member.headers,
        )
        assert "assignee_id" in assert_problem(response, 422)["detail"]
        after = await client.get(f"/api/v1/tasks/{task['id']}", headers=room.member.headers)
        assert after.json() == task


class TestListingWithBadInput:
    async def test_bad_query_parameters_are_refused(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for query in BAD_QUERIES:
            for path in (f"/api/v1/rooms/{room.id}/tasks", "/api/v1/tasks"):
                response = await client.get(path, params=query, headers=room.member.headers)
                assert response.status_code == 422, (path, query)
                assert_problem(response, 422)

    async def test_a_cursor_from_another_sort_is_refused(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for _ in range(2):
            await create_task(client, room.member, room.id)
        path = f"/api/v1/rooms/{room.id}/tasks"
        first = await client.get(path, params={"limit": 1}, headers=room.member.headers)
        cursor = first.json()["next_cursor"]
        response = await client.get(
            path, params={"sort": "-deadline", "cursor": cursor}, headers=room.member.headers
        )
        assert_problem(response, 400)
        garbage = await client.get(path, params={"cursor": "!!"}, headers=room.member.headers)
        assert_problem(garbage, 400)
