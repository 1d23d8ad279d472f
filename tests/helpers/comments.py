"""Builders for comments, going through the public API like a person would."""

from typing import Any

import httpx

from tests.helpers.builders import Person


async def comment_on(
    client: httpx.AsyncClient,
    person: Person,
    task_id: str,
    body: str = "A comment",
    **fields: Any,
) -> dict[str, Any]:
    """A new comment on the task by `person`: the JSON reply."""
    response = await client.post(
        f"/api/v1/tasks/{task_id}/comments", json={"body": body, **fields}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def comments_of(
    client: httpx.AsyncClient, person: Person, task_id: str, **params: Any
) -> list[dict[str, Any]]:
    """The first page of a task's comments, as `person` sees them."""
    response = await client.get(
        f"/api/v1/tasks/{task_id}/comments", params=params, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]
