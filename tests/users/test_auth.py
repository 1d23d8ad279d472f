"""Registration and sign-in, through the gateway."""

import uuid

import httpx

from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem, login, register, signed_up


class TestRegistration:
    async def test_registration_answers_201_with_the_new_profile(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/api/v1/auth/register",
            json={
                "username": "Ann.Lee",
                "password": "correct horse battery",
                "email": "Ann.Lee@example.com",
                "full_name": "  Ann Lee  ",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert uuid.UUID(body["id"]).version == 7
        assert body["username"] == "Ann.Lee"
        assert body["email"] == "Ann.Lee@example.com"
        assert body["full_name"] == "Ann Lee"
        assert body["is_admin"] is False
        assert body["is_active"] is True
        assert body["created_at"].endswith(("Z", "+00:00"))
        assert "password" not in body

    async def test_registered_user_can_sign_in_and_see_own_profile(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann", email="ann@example.com", full_name="Ann Lee")
        response = await client.get("/api/v1/users/me", headers=ann.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == ann.id
        assert body["username"] == "ann"
        assert body["email"] == "ann@example.com"
        assert body["full_name"] == "Ann Lee"
        assert "password" not in response.text
        assert "hash" not in response.text

    async def test_username_is_unique_ignoring_case(self, client: httpx.AsyncClient) -> None:
        await register(client, "Ann")
        response = await client.post(
            "/api/v1/auth/register", json={"username": "ann", "password": "another-pass"}
        )
        assert "username" in assert_problem(response, 409)["detail"]

    async def test_email_is_unique_ignoring_case(self, client: httpx.AsyncClient) -> None:
        await register(client, "ann", email="ann@example.com")
        response = await client.post(
            "/api/v1/auth/register",
            json={"username": "bob", "password": "another-pass", "email": "ANN@example.com"},
        )
        assert "e-mail" in assert_problem(response, 409)["detail"]

    async def test_a_refused_registration_creates_no_account(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann", email="ann@example.com")
        await client.post(
            "/api/v1/auth/register",
            json={"username": "bob", "password": "another-pass", "email": "ann@example.com"},
        )
        response = await client.post(
            "/api/v1/auth/login", json={"username": "bob", "password": "another-pass"}
        )
        assert_problem(response, 401)

    async def test_people_without_email_do_not_collide(self, client: httpx.AsyncClient) -> None:
        await register(client, "ann")
        await register(client, "bob")


class TestLogin:
    async def test_login_returns_a_bearer_pair_whose_access_token_works(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        tokens = await login(client, "ann")
        assert tokens["token_type"] == "bearer"
        assert tokens["expires_in"] == 15 * 60
        assert tokens["access_token"] != tokens["refresh_token"]
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get("/api/v1/users/me", headers=headers)).json()["username"] == "ann"

    async def test_login_ignores_the_case_of_the_username(self, client: httpx.AsyncClient) -> None:
        await register(client, "Ann")
        tokens = await login(client, "aNN")
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get("/api/v1/users/me", headers=headers)).json()["username"] == "Ann"

    async def test_wrong_password_is_refused_with_a_401_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        response = await client.post(
            "/api/v1/auth/login", json={"username": "ann", "password": "not the password"}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "access_token" not in response.text

    async def test_unknown_username_is_refused_exactly_like_a_wrong_password(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        wrong_password = await client.post(
            "/api/v1/auth/login", json={"username": "ann", "password": "not the password"}
        )
        unknown_user = await client.post(
            "/api/v1/auth/login", json={"username": "nobody", "password": "not the password"}
        )
        assert assert_problem(unknown_user, 401) == assert_problem(wrong_password, 401)

    async def test_the_password_of_one_user_does_not_open_another_account(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann", password="ann's own password")
        await register(client, "bob", password="bob's own password")
        response = await client.post(
            "/api/v1/auth/login", json={"username": "bob", "password": "ann's own password"}
        )
        assert_problem(response, 401)


class TestOAuth2PasswordForm:
    async def test_the_form_at_the_token_endpoint_signs_in(self, client: httpx.AsyncClient) -> None:
        ann = await register(client, "ann")
        response = await client.post(
            "/api/v1/auth/token",
            data={"username": "ann", "password": "correct horse battery"},
        )
        assert response.status_code == 200, response.text
        tokens = response.json()
        assert tokens["token_type"] == "bearer"
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get("/api/v1/users/me", headers=headers)).json()["id"] == ann["id"]

    async def test_the_form_with_a_wrong_password_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        response = await client.post(
            "/api/v1/auth/token", data={"username": "ann", "password": "not the password"}
        )
        assert_problem(response, 401)

    @ONE_BACKEND
    async def test_the_form_without_a_password_is_a_validation_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        response = await client.post("/api/v1/auth/token", data={"username": "ann"})
        body = assert_problem(response, 422)
        assert ["body", "password"] in [error["loc"] for error in body["errors"]]
