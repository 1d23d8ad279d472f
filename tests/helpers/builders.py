"""Plain builders for test data, going through the public API like a person would."""

from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_PASSWORD = "correct horse battery"


@dataclass
class Person:
    id: str
    username: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(
    client: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/register", json={"username": username, "password": password, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def login(
    client: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def signed_up(
    client: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD, **extra: Any
) -> Person:
    """A registered, signed-in person."""
    profile = await register(client, username, password, **extra)
    tokens = await login(client, username, password)
    return Person(
        profile["id"], username, password, tokens["access_token"], tokens["refresh_token"]
    )


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"].startswith("/problems/")
    return body
