"""The web app's sign-in session: with `X-TaskSync-Session: cookie` the refresh token lives
only in an HttpOnly, SameSite=Strict cookie limited to /api/v1/auth, and only requests that
carry that header may use the cookie."""

from typing import Any

import httpx
import pytest

from tests.helpers.builders import DEFAULT_PASSWORD, assert_problem, register

# Where the refresh token travels (the token's rules run on both backends in test_tokens).
pytestmark = pytest.mark.only_backend("sqlite")

SESSION = {"X-TaskSync-Session": "cookie"}
CREDENTIALS = {"username": "ann", "password": DEFAULT_PASSWORD}


def cookies_of(response: httpx.Response) -> dict[str, dict[str, Any]]:
    found = {}
    for line in response.headers.get_list("set-cookie"):
        name_value, *attributes = [part.strip() for part in line.split(";")]
        name, _, value = name_value.partition("=")
        flags = {a.split("=")[0].lower(): [*a.split("=", 1), ""][1] for a in attributes}
        found[name] = {"name": name, "value": value, **flags}
    return found


def cookie_of(response: httpx.Response) -> dict[str, Any]:
    cookies = cookies_of(response)
    assert set(cookies) == {"tasksync_refresh", "tasksync_session"}
    return cookies["tasksync_refresh"]


async def cookie_login(client: httpx.AsyncClient) -> httpx.Response:
    await register(client, "ann")
    response = await client.post("/api/v1/auth/login", json=CREDENTIALS, headers=SESSION)
    assert response.status_code == 200
    return response


class TestSigningIn:
    async def test_the_refresh_token_goes_only_to_an_httponly_strict_cookie(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await cookie_login(client)
        body = response.json()
        assert body["refresh_token"] is None
        assert body["access_token"]
        cookie = cookie_of(response)
        assert cookie["name"] == "tasksync_refresh"
        assert len(cookie["value"]) > 20
        assert cookie["path"] == "/api/v1/auth"
        assert cookie["samesite"] == "strict"
        assert "httponly" in cookie
        assert "secure" not in cookie  # plain HTTP here; behind HTTPS it is Secure
        assert int(cookie["max-age"]) == 30 * 86_400
        marker = cookies_of(response)["tasksync_session"]
        assert marker["value"] == "1"
        assert marker["path"] == "/"
        assert "httponly" not in marker

    async def test_behind_https_the_cookie_is_secure(self, client: httpx.AsyncClient) -> None:
        await register(client, "ann")
        response = await client.post(
            "/api/v1/auth/login",
            json=CREDENTIALS,
            headers={**SESSION, "X-Forwarded-Proto": "https"},
        )
        assert "secure" in cookie_of(response)

    async def test_other_clients_keep_the_token_in_json(self, client: httpx.AsyncClient) -> None:
        await register(client, "ann")
        response = await client.post("/api/v1/auth/login", json=CREDENTIALS)
        assert response.json()["refresh_token"]
        assert "set-cookie" not in response.headers


class TestRefreshing:
    async def test_the_cookie_refreshes_and_is_replaced(self, client: httpx.AsyncClient) -> None:
        first = cookie_of(await cookie_login(client))["value"]
        response = await client.post("/api/v1/auth/refresh", headers=SESSION)
        assert response.status_code == 200
        assert response.json()["refresh_token"] is None
        second = cookie_of(response)["value"]
        assert second != first
        me = await client.get(
            "/api/v1/users/me",
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
        )
        assert me.json()["username"] == "ann"

    async def test_without_the_header_the_cookie_is_not_used(
        self, client: httpx.AsyncClient
    ) -> None:
        await cookie_login(client)
        assert_problem(await client.post("/api/v1/auth/refresh"), 401)
        assert_problem(
            await client.post("/api/v1/auth/refresh", headers={"X-TaskSync-Session": "json"}), 401
        )

    async def test_without_a_cookie_or_a_body_it_is_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.post("/api/v1/auth/refresh", headers=SESSION), 401)

    async def test_a_replayed_cookie_value_ends_the_session(
        self, client: httpx.AsyncClient
    ) -> None:
        stolen = cookie_of(await cookie_login(client))["value"]
        assert (await client.post("/api/v1/auth/refresh", headers=SESSION)).status_code == 200
        client.cookies.clear()
        replay = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": stolen}, headers=SESSION
        )
        assert_problem(replay, 401)
        assert_problem(await client.post("/api/v1/auth/refresh", headers=SESSION), 401)


class TestSigningOut:
    async def test_logout_revokes_the_cookies_token_and_clears_it(
        self, client: httpx.AsyncClient
    ) -> None:
        token = cookie_of(await cookie_login(client))["value"]
        response = await client.post("/api/v1/auth/logout", headers=SESSION)
        assert response.status_code == 204
        cleared = cookie_of(response)
        assert cleared["value"] in ("", '""')
        assert cleared["path"] == "/api/v1/auth"
        assert int(cleared["max-age"]) == 0
        assert int(cookies_of(response)["tasksync_session"]["max-age"]) == 0
        refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert_problem(refused, 401)
