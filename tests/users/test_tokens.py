"""Access tokens (forged, expired, verified where), refresh tokens and the published keys."""

import asyncio
import base64
import time
import uuid
from typing import Any

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from tasksync.common.db import Database
from tasksync.users import commands
from tasksync.users.models import SigningKey
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, assert_problem, login, register, signed_up
from tests.users.conftest import AppFactory, RunningApp

ME = "/api/v1/users/me"
JWKS = "/.well-known/jwks.json"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(person: Person, **changes: Any) -> dict[str, Any]:
    """The claims TaskSync itself would put in `person`'s access token, with `changes`."""
    now = int(time.time())
    claims = {
        "iss": "tasksync-users",
        "aud": "tasksync",
        "sub": person.id,
        "name": person.username,
        "sid": str(uuid.uuid4()),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}."


async def _real_private_key(db: Database, kid: str) -> Any:
    async with db.sessionmaker() as session:
        pem = await session.scalar(select(SigningKey.private_pem).where(SigningKey.kid == kid))
    assert pem is not None
    return serialization.load_pem_private_key(pem.encode(), password=None)


async def _refused(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


async def _refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


@ONE_BACKEND
class TestForgedAccessTokens:
    """The gateway refuses every token TaskSync did not sign, before any service sees it."""

    async def test_a_genuine_token_is_accepted(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        assert (await client.get(ME, headers=ann.headers)).status_code == 200

    async def test_a_token_with_a_tampered_signature_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        head, payload, signature = ann.access_token.split(".")
        flipped = "A" if signature[10] != "A" else "B"
        await _refused(client, f"{head}.{payload}.{signature[:10]}{flipped}{signature[11:]}")

    async def test_a_token_whose_claims_were_edited_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        bob = await signed_up(client, "bob")
        head, _, signature = ann.access_token.split(".")
        claims = jwt.decode(ann.access_token, options={"verify_signature": False})
        forged = _b64(orjson.dumps({**claims, "sub": bob.id, "name": "bob"}))
        await _refused(client, f"{head}.{forged}.{signature}")

    async def test_a_token_signed_with_another_key_under_the_real_kid_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        token = jwt.encode(
            _claims(ann),
            Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": _kid(ann.access_token)},
        )
        await _refused(client, token)

    async def test_a_token_naming_an_unknown_kid_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        token = jwt.encode(
            _claims(ann), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "k1"}
        )
        assert "unknown key" in (await _refused(client, token))["detail"]

    async def test_an_unsigned_alg_none_token_is_refused(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        header = {"alg": "none", "typ": "JWT", "kid": _kid(ann.access_token)}
        await _refused(client, _unsigned(header, _claims(ann)))

    async def test_an_hs256_token_keyed_with_the_public_key_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        public = (await client.get(JWKS)).json()["keys"][0]
        token = jwt.encode(
            _claims(ann), public["x"], algorithm="HS256", headers={"kid": public["kid"]}
        )
        await _refused(client, token)

    async def test_a_garbage_token_is_refused(self, client: httpx.AsyncClient) -> None:
        await signed_up(client, "ann")
        await _refused(client, "this-is-not-a-token")

    async def test_a_non_bearer_authorization_scheme_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.get(ME, headers={"Authorization": f"Token {ann.access_token}"})
        assert_problem(response, 401)
        response = await client.get(ME, auth=("ann", ann.password))
        assert_problem(response, 401)

    async def test_an_empty_bearer_token_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.get(ME, headers={"Authorization": "Bearer "})
        assert_problem(response, 401)


@ONE_BACKEND
class TestAccessTokenClaims:
    """Tokens signed with the real key are still refused when their claims are wrong."""

    async def test_an_access_token_issued_with_no_lifetime_is_already_expired(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(access_token_minutes=0) as tuned, tuned.client() as http:
            ann = await signed_up(http, "ann")
            claims = jwt.decode(ann.access_token, options={"verify_signature": False})
            assert claims["exp"] <= time.time()
            assert "expired" in (await _refused(http, ann.access_token))["detail"]
            assert (await _refresh(http, ann.refresh_token)).status_code == 200

    async def test_a_really_signed_token_with_bad_claims_is_refused(
        self, client: httpx.AsyncClient, users_db: Database
    ) -> None:
        ann = await signed_up(client, "ann")
        kid = _kid(ann.access_token)
        key = await _real_private_key(users_db, kid)

        def sign(**changes: Any) -> str:
            return jwt.encode(_claims(ann, **changes), key, algorithm="EdDSA", headers={"kid": kid})

        good = sign()
        assert (await client.get(ME, headers={"Authorization": f"Bearer {good}"})).is_success
        now = int(time.time())
        for case, changes in {
            "expired": {"exp": now - 60},
            "foreign issuer": {"iss": "someone-else"},
            "foreign audience": {"aud": "another-app"},
            "no session id": {"sid": None},
            "no token id": {"jti": None},
            "no expiry": {"exp": None},
            "subject not a uuid": {"sub": "ann"},
            "issued in the future": {"iat": now + 3600},
        }.items():
            response = await client.get(ME, headers={"Authorization": f"Bearer {sign(**changes)}"})
            assert response.status_code == 401, case
            assert_problem(response, 401)

    async def test_a_really_signed_token_for_an_account_that_never_existed_is_refused(
        self, client: httpx.AsyncClient, users_db: Database
    ) -> None:
        ann = await signed_up(client, "ann")
        kid = _kid(ann.access_token)
        key = await _real_private_key(users_db, kid)
        ghost = jwt.encode(
            _claims(ann, sub=str(uuid.uuid4())), key, algorithm="EdDSA", headers={"kid": kid}
        )
        await _refused(client, ghost)


@ONE_BACKEND
class TestUsersServiceVerifiesTokensItself:
    """Behind no gateway at all, the users service still refuses forged tokens."""

    async def test_a_genuine_token_works_on_the_service_directly(
        self, users_alone: RunningApp
    ) -> None:
        async with users_alone.client() as http:
            ann = await signed_up(http, "ann")
            assert (await http.get(ME, headers=ann.headers)).json()["id"] == ann.id

    async def test_a_token_signed_with_another_key_is_refused_by_the_service(
        self, users_alone: RunningApp
    ) -> None:
        async with users_alone.client() as http:
            ann = await signed_up(http, "ann")
            token = jwt.encode(
                _claims(ann),
                Ed25519PrivateKey.generate(),
                algorithm="EdDSA",
                headers={"kid": _kid(ann.access_token)},
            )
            await _refused(http, token)

    async def test_an_unsigned_token_is_refused_by_the_service(
        self, users_alone: RunningApp
    ) -> None:
        async with users_alone.client() as http:
            ann = await signed_up(http, "ann")
            header = {"alg": "none", "typ": "JWT", "kid": _kid(ann.access_token)}
            await _refused(http, _unsigned(header, _claims(ann)))

    async def test_a_call_without_a_token_is_refused_by_the_service(
        self, users_alone: RunningApp
    ) -> None:
        async with users_alone.client() as http:
            assert_problem(await http.get(ME), 401)


class TestRefresh:
    async def test_refresh_returns_a_new_pair_that_works(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        response = await _refresh(client, ann.refresh_token)
        assert response.status_code == 200, response.text
        pair = response.json()
        assert pair["refresh_token"] != ann.refresh_token
        assert pair["access_token"] != ann.access_token
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        assert (await client.get(ME, headers=headers)).json()["id"] == ann.id
        assert (await _refresh(client, pair["refresh_token"])).status_code == 200

    async def test_a_refreshed_token_keeps_its_session_id(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        pair = (await _refresh(client, ann.refresh_token)).json()

        def sid(token: str) -> str:
            return jwt.decode(token, options={"verify_signature": False})["sid"]

        assert sid(pair["access_token"]) == sid(ann.access_token)

    async def test_the_old_refresh_token_stops_working_after_a_refresh(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        assert (await _refresh(client, ann.refresh_token)).status_code == 200
        assert_problem(await _refresh(client, ann.refresh_token), 401)

    async def test_an_unknown_refresh_token_is_refused(self, client: httpx.AsyncClient) -> None:
        await signed_up(client, "ann")
        assert_problem(await _refresh(client, "not-a-refresh-token"), 401)

    async def test_an_access_token_is_not_a_refresh_token(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        response = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": ann.access_token[:200]}
        )
        assert_problem(response, 401)

    async def test_an_expired_refresh_token_is_refused(self, embedded: AppFactory) -> None:
        async with embedded(refresh_token_days=0) as tuned, tuned.client() as http:
            ann = await signed_up(http, "ann")
            assert_problem(await _refresh(http, ann.refresh_token), 401)


class TestRefreshTokenReuse:
    async def test_reused_refresh_token_revokes_its_whole_family(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        newest = (await _refresh(client, ann.refresh_token)).json()["refresh_token"]
        body = assert_problem(await _refresh(client, ann.refresh_token), 401)
        assert "already used" in body["detail"]
        assert_problem(await _refresh(client, newest), 401)

    async def test_reuse_leaves_the_other_sessions_of_the_same_person_alone(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        laptop = await login(client, "ann")
        await _refresh(client, ann.refresh_token)
        await _refresh(client, ann.refresh_token)
        assert (await _refresh(client, laptop["refresh_token"])).status_code == 200

    async def test_a_refresh_token_presented_twice_at_once_yields_at_most_one_new_pair(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        first, second = await asyncio.gather(
            _refresh(client, ann.refresh_token), _refresh(client, ann.refresh_token)
        )
        assert sorted([first.status_code, second.status_code]) == [200, 401]


class TestLogout:
    async def test_logout_revokes_the_refresh_token(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        response = await client.post(
            "/api/v1/auth/logout", json={"refresh_token": ann.refresh_token}
        )
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(await _refresh(client, ann.refresh_token), 401)

    async def test_logout_ends_only_that_session(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        laptop = await login(client, "ann")
        await client.post("/api/v1/auth/logout", json={"refresh_token": ann.refresh_token})
        assert (await _refresh(client, laptop["refresh_token"])).status_code == 200

    async def test_logging_out_twice_is_harmless(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        for _ in range(2):
            response = await client.post(
                "/api/v1/auth/logout", json={"refresh_token": ann.refresh_token}
            )
            assert response.status_code == 204


def _assert_public_ed25519_keys(response: httpx.Response) -> None:
    assert response.status_code == 200
    for key in response.json()["keys"]:
        assert key["kty"] == "OKP"
        assert key["crv"] == "Ed25519"
        assert key["alg"] == "EdDSA"
        assert key["use"] == "sig"
        assert key["kid"]
        assert "d" not in key
        assert len(base64.urlsafe_b64decode(key["x"] + "==")) == 32
    assert "PRIVATE" not in response.text


class TestPublishedKeys:
    async def test_jwks_publishes_ed25519_public_keys_without_private_material(
        self, client: httpx.AsyncClient
    ) -> None:
        await register(client, "ann")
        response = await client.get(JWKS)
        assert response.status_code == 200
        assert len(response.json()["keys"]) == 1
        _assert_public_ed25519_keys(response)

    async def test_access_tokens_verify_with_the_published_key(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        keys = {k["kid"]: k for k in (await client.get(JWKS)).json()["keys"]}
        public = jwt.PyJWK(keys[_kid(ann.access_token)]).key
        claims = jwt.decode(ann.access_token, public, algorithms=["EdDSA"], audience="tasksync")
        assert claims["sub"] == ann.id
        assert claims["iss"] == "tasksync-users"

    async def test_a_rotated_key_signs_new_tokens_while_old_tokens_keep_working(
        self, embedded: AppFactory, users_settings: Any
    ) -> None:
        async with embedded(jwks_refresh_cooldown=0) as tuned, tuned.client() as http:
            ann = await signed_up(http, "ann")
            assert (await http.get(ME, headers=ann.headers)).status_code == 200
            new_kid = await commands.rotate_key(users_settings)
            response = await http.get(JWKS)
            _assert_public_ed25519_keys(response)
            published = {k["kid"] for k in response.json()["keys"]}
            assert published == {_kid(ann.access_token), new_kid}
            fresh = await login(http, "ann")
            assert _kid(fresh["access_token"]) == new_kid
            headers = {"Authorization": f"Bearer {fresh['access_token']}"}
            assert (await http.get(ME, headers=headers)).status_code == 200
            assert (await http.get(ME, headers=ann.headers)).status_code == 200
