"""Malformed requests: a 422 problem naming each offending field, and nothing written.

Each test walks a table of bad inputs for one rule on one stack, then checks that none of them
left a trace.
"""

from typing import Any

import httpx
import pytest

from tests.helpers.builders import DEFAULT_PASSWORD, Person, assert_problem, signed_up

# Bad input is refused before any query, the same on both backends: the embedded one alone.
pytestmark = pytest.mark.only_backend("sqlite")

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"

VALID = {"username": "ann", "password": DEFAULT_PASSWORD}


def assert_invalid(response: httpx.Response, *fields: str, case: object = "") -> None:
    """A 422 problem whose `errors` name exactly `fields` (as the last part of each `loc`)."""
    body = assert_problem(response, 422)
    assert body["type"] == "/problems/validation-error", case
    errors = body["errors"]
    for error in errors:
        assert error["msg"], case
        assert error["type"], case
        assert error["loc"][0] in {"body", "query", "path"}, case
    assert {error["loc"][-1] for error in errors} == set(fields), case
    for field in fields:
        assert field in body["detail"], case


async def _everyone(client: httpx.AsyncClient, watcher: Person) -> list[str]:
    page = (await client.get("/api/v1/users", headers=watcher.headers)).json()
    return [item["username"] for item in page["items"]]


@pytest.fixture
async def watcher(client: httpx.AsyncClient) -> Person:
    """Someone who can list every account, to show that refused requests created none."""
    return await signed_up(client, "zed")


async def _refused_registrations(
    client: httpx.AsyncClient, watcher: Person, cases: list[tuple[dict[str, Any], str]]
) -> None:
    for body, field in cases:
        assert_invalid(await client.post(REGISTER, json=body), field, case=body)
    assert await _everyone(client, watcher) == ["zed"]


class TestRegistrationRequiresEveryField:
    async def test_missing_fields_are_each_named(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        assert_invalid(await client.post(REGISTER, json={}), "username", "password")
        await _refused_registrations(
            client,
            watcher,
            [({"password": DEFAULT_PASSWORD}, "username"), ({"username": "ann"}, "password")],
        )


class TestRegistrationRefusesWrongTypes:
    async def test_numbers_lists_and_nulls_are_not_strings(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        await _refused_registrations(
            client,
            watcher,
            [
                (VALID | {"username": 12345}, "username"),
                (VALID | {"username": None}, "username"),
                (VALID | {"username": ["ann"]}, "username"),
                (VALID | {"password": ["correct", "horse"]}, "password"),
                (VALID | {"password": 12345678}, "password"),
                (VALID | {"email": 42}, "email"),
                (VALID | {"full_name": {"first": "Ann"}}, "full_name"),
            ],
        )


class TestUsernameRule:
    async def test_a_username_needs_3_to_40_letters_digits_dots_dashes_or_underscores(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        bad = ["", "an", "a" * 41, "ann lee", "ann@home", "anné", "ann\n", "ann/x", "😀😀😀"]
        await _refused_registrations(
            client, watcher, [(VALID | {"username": name}, "username") for name in bad]
        )


class TestPasswordRule:
    async def test_a_password_needs_8_to_128_characters(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        await _refused_registrations(
            client,
            watcher,
            [
                (VALID | {"password": ""}, "password"),
                (VALID | {"password": "7 chars"}, "password"),
                (VALID | {"password": "p" * 129}, "password"),
            ],
        )


class TestEmailRule:
    async def test_an_email_must_be_a_deliverable_looking_address(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        bad = ["not-an-email", "ann@", "@example.com", "ann@@example.com", "ann@example..com"]
        await _refused_registrations(
            client, watcher, [(VALID | {"email": email}, "email") for email in bad]
        )


class TestFullNameRule:
    async def test_a_full_name_must_be_1_to_200_characters_after_trimming(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        await _refused_registrations(
            client,
            watcher,
            [
                (VALID | {"full_name": "x" * 201}, "full_name"),
                (VALID | {"full_name": "   "}, "full_name"),
                (VALID | {"full_name": ""}, "full_name"),
            ],
        )


class TestUnknownFields:
    async def test_unknown_fields_on_registration_are_refused_not_ignored(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        await _refused_registrations(
            client,
            watcher,
            [
                (VALID | {"is_admin": True}, "is_admin"),
                (VALID | {"is_active": False}, "is_active"),
                (VALID | {"nickname": "annie"}, "nickname"),
            ],
        )

    async def test_unknown_fields_on_login_are_refused(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        body = {"username": "ann", "password": ann.password, "remember_me": True}
        assert_invalid(await client.post(LOGIN, json=body), "remember_me")

    async def test_unknown_fields_on_a_profile_change_are_refused_and_change_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann", full_name="Ann")
        before = (await client.get(ME, headers=ann.headers)).json()
        for body, field in [
            ({"is_admin": True}, "is_admin"),
            ({"full_name": "Mallory", "is_active": False}, "is_active"),
            ({"full_name": "Mallory", "bio": "hi"}, "bio"),
        ]:
            response = await client.patch(ME, headers=ann.headers, json=body)
            assert_invalid(response, field, case=body)
        assert (await client.get(ME, headers=ann.headers)).json() == before


class TestBodiesThatAreNotJsonObjects:
    async def test_a_truncated_json_body_is_a_422_and_creates_nothing(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        response = await client.post(
            REGISTER,
            content=b'{"username": "ann", "password": ',
            headers={"Content-Type": "application/json"},
        )
        body = assert_problem(response, 422)
        assert [(e["loc"][0], e["type"]) for e in body["errors"]] == [("body", "json_invalid")]
        assert await _everyone(client, watcher) == ["zed"]

    async def test_other_bodies_are_a_422_about_the_body_and_create_nothing(
        self, client: httpx.AsyncClient, watcher: Person
    ) -> None:
        valid_json = b'{"username": "ann", "password": "correct horse battery"}'
        for content, content_type in [
            (b"[1, 2]", "application/json"),
            (b'"ann"', "application/json"),
            (b"", "application/json"),
            (b"username=ann&password=correct+horse+battery", "application/x-www-form-urlencoded"),
            (valid_json, "text/plain"),
        ]:
            headers = {"Content-Type": content_type}
            response = await client.post(REGISTER, content=content, headers=headers)
            assert_invalid(response, "body", case=(content, content_type))
        assert await _everyone(client, watcher) == ["zed"]

    async def test_a_login_or_profile_change_that_is_not_json_is_a_422(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        before = (await client.get(ME, headers=ann.headers)).json()
        not_json = {"Content-Type": "application/json"}
        assert_problem(await client.post(LOGIN, content=b"ann:secret", headers=not_json), 422)
        response = await client.patch(
            ME, content=b"full_name=Mallory", headers={**ann.headers, **not_json}
        )
        assert_problem(response, 422)
        assert (await client.get(ME, headers=ann.headers)).json() == before


class TestRegistrationLimits:
    async def test_the_limits_themselves_are_accepted(self, client: httpx.AsyncClient) -> None:
        for username, password, full_name in [
            ("abc", "p" * 8, "x"),
            ("a" * 40, "p" * 128, "x" * 200),
            ("A.b_c-9", "pässwörd", None),
        ]:
            response = await client.post(
                REGISTER,
                json={"username": username, "password": password, "full_name": full_name},
            )
            assert response.status_code == 201, response.text
            login = await client.post(LOGIN, json={"username": username, "password": password})
            assert login.status_code == 200, login.text


class TestLoginValidation:
    async def test_an_invalid_login_is_a_422_naming_the_field(
        self, client: httpx.AsyncClient
    ) -> None:
        await signed_up(client, "ann")
        for body, field in [
            ({"username": "ann"}, "password"),
            ({"password": DEFAULT_PASSWORD}, "username"),
            (VALID | {"username": 42}, "username"),
            (VALID | {"username": ""}, "username"),
            (VALID | {"password": ["x"]}, "password"),
            (VALID | {"password": ""}, "password"),
            (VALID | {"password": "p" * 129}, "password"),
        ]:
            assert_invalid(await client.post(LOGIN, json=body), field, case=body)

    async def test_invalid_logins_do_not_count_as_failed_attempts(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        for _ in range(12):
            body = {"username": "ann", "password": ann.password, "extra": 1}
            assert_problem(await client.post(LOGIN, json=body), 422)
        response = await client.post(LOGIN, json={"username": "ann", "password": ann.password})
        assert response.status_code == 200, response.text


class TestProfileUpdateValidation:
    async def test_an_invalid_profile_change_is_a_422_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann", email="ann@example.com", full_name="Ann")
        before = (await client.get(ME, headers=ann.headers)).json()
        for body, field in [
            ({"username": "a"}, "username"),
            ({"username": "ann lee"}, "username"),
            ({"username": 7}, "username"),
            ({"email": "nope"}, "email"),
            ({"full_name": "x" * 201}, "full_name"),
            ({"full_name": "Ann Lee", "email": "nope"}, "email"),
        ]:
            response = await client.patch(ME, headers=ann.headers, json=body)
            assert_invalid(response, field, case=body)
        assert (await client.get(ME, headers=ann.headers)).json() == before

    async def test_a_new_password_outside_8_to_128_characters_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        for password in ("short", "p" * 129):
            body = {"password": password, "current_password": ann.password}
            response = await client.patch(ME, headers=ann.headers, json=body)
            assert_invalid(response, "password", case=password)
            refused = await client.post(LOGIN, json={"username": "ann", "password": password})
            assert refused.status_code != 200
        response = await client.post(LOGIN, json={"username": "ann", "password": ann.password})
        assert response.status_code == 200


class TestTokenRequestValidation:
    async def test_an_invalid_refresh_or_logout_is_a_422_and_the_session_stays(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        for path in ("/api/v1/auth/refresh", "/api/v1/auth/logout"):
            for body, field in [
                ({}, "refresh_token"),
                ({"refresh_token": ""}, "refresh_token"),
                ({"refresh_token": 1}, "refresh_token"),
                ({"refresh_token": "x" * 201}, "refresh_token"),
                ({"refresh_token": ann.refresh_token, "everywhere": True}, "everywhere"),
            ]:
                assert_invalid(await client.post(path, json=body), field, case=(path, body))
        response = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": ann.refresh_token}
        )
        assert response.status_code == 200


class TestAccountDeletionValidation:
    async def test_an_invalid_deletion_is_a_422_and_the_account_stays(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        for body, field in [
            ({}, "password"),
            ({"password": "   "}, "password"),
            ({"password": ann.password, "force": True}, "force"),
        ]:
            response = await client.request("DELETE", ME, headers=ann.headers, json=body)
            assert_invalid(response, field, case=body)
        assert_problem(await client.delete(ME, headers=ann.headers), 422)
        assert (await client.get(ME, headers=ann.headers)).status_code == 200
