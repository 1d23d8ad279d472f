"""Finding 10 of the security probe: every answer carries the security headers once, the docs
pages have a policy that allows only their pinned assets, and no server banner is sent."""

import base64
import hashlib
import re
from typing import Any

import httpx
import pytest

from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.distributed import distributed_gateway

# Headers are added on the way out, whatever the database: one backend suffices.
pytestmark = pytest.mark.only_backend("sqlite")

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], name
    assert len(response.headers.get_list("content-security-policy")) == 1
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


class TestApiAnswers:
    async def test_an_authenticated_answer_carries_each_header_once(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.get("/api/v1/users/me", headers=ann.headers)
        assert response.status_code == 200
        assert_secured(response)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")

    async def test_an_answer_carrying_tokens_is_not_to_be_stored(
        self, client: httpx.AsyncClient
    ) -> None:
        await signed_up(client, "ann")
        response = await client.post(
            "/api/v1/auth/login", json={"username": "ann", "password": "correct horse battery"}
        )
        assert response.status_code == 200
        assert_secured(response)

    async def test_an_error_answer_carries_them_too(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/nothing-here")
        assert_problem(response, 404)
        assert_secured(response)


def _inline_script_hash(html: str) -> str:
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


class TestDocsPages:
    async def test_swagger_ui_loads_only_pinned_assets_checked_by_integrity(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/docs")
        assert response.status_code == 200
        html, policy = response.text, response.headers["content-security-policy"]
        assets = re.findall(r'(?:src|href)="(https://[^"]+)" integrity="sha384-[^"]+"', html)
        assert len(assets) == 2
        assert all("@5.35.0/" in url for url in assets)
        assert html.count("https://") == 2  # nothing else comes from outside
        assert f"'sha256-{_inline_script_hash(html)}'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "'unsafe-eval'" not in policy
        assert_secured_except_policy(response)

    async def test_redoc_loads_only_its_pinned_script(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/redoc")
        assert response.status_code == 200
        html, policy = response.text, response.headers["content-security-policy"]
        assets = re.findall(r'src="(https://[^"]+)" integrity="sha384-[^"]+"', html)
        assert assets == ["https://cdn.jsdelivr.net/npm/redoc@2.5.4/bundles/redoc.standalone.js"]
        assert html.count("https://") == 1  # no web fonts, no favicon from elsewhere
        assert f"script-src {assets[0]}" in policy
        assert_secured_except_policy(response)

    async def test_the_oauth2_redirect_page_allows_only_its_own_script(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/docs/oauth2-redirect")
        policy = response.headers["content-security-policy"]
        assert f"script-src 'sha256-{_inline_script_hash(response.text)}';" in policy


def assert_secured_except_policy(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], name
    assert len(response.headers.get_list("content-security-policy")) == 1


class TestThroughTheDistributedGateway:
    async def test_a_proxied_answer_has_one_date_no_server_banner_and_each_header_once(
        self, settings: dict[str, Any]
    ) -> None:
        async with (
            distributed_gateway(settings, "users") as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            response = await http.get("/.well-known/jwks.json")
        assert response.status_code == 200
        assert "server" not in response.headers
        assert len(response.headers.get_list("date")) == 1
        assert_secured(response)
