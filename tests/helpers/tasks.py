"""Builders for tasks, going through the public API like a person would."""

from typing import Any

import httpx

from tests.helpers.builders import Person


async def create_task(
    client: httpx.AsyncClient, person: Person, room_id: str, title: str = "Task", **fields: Any
) -> dict[str, Any]:
    """A new task in the room, created by `person`: the JSON reply."""
    response = await client.post(
        f"/api/v1/rooms/{room_id}/tasks", json={"title": title, **fields}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def get_task(client: httpx.AsyncClient, person: Person, task_id: str) -> httpx.Response:
    return await client.get(f"/api/v1/tasks/{task_id}", headers=person.headers)


async def all_pages(
    client: httpx.AsyncClient, person: Person, path: str, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, walking its pages."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=person.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
