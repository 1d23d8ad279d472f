"""The gateway serves the built web app at `/` in both modes: `index.html` for the app's
routes, hashed assets cached for a year, the app's Content-Security-Policy, and nothing of
the API, the health routes or the docs shadowed. Serving files does not touch a database:
one backend suffices."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from tasksync.gateway.web_app import POLICY
from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.distributed import distributed_gateway
from tests.helpers.stacks import AppFactory

pytestmark = pytest.mark.only_backend("sqlite")

INDEX = '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>'
ASSET = "console.log('app')"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text(ASSET)
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / ".hidden").write_text("secret")
    (tmp_path / "outside.txt").write_text("outside")
    return root


def assert_app_page(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers.get_list("content-security-policy") == [POLICY]
    assert response.headers.get_list("cache-control") == ["no-cache"]
    assert response.headers["x-frame-options"] == "DENY"


class TestTheAppsPages:
    @pytest.mark.parametrize("path", ["/", "/rooms", "/rooms/0193", "/tasks/abc", "/signin"])
    async def test_an_app_route_gets_index_html(
        self, embedded: AppFactory, dist: Path, path: str
    ) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            assert_app_page(await client.get(path))

    async def test_head_answers_like_get_without_a_body(
        self, embedded: AppFactory, dist: Path
    ) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            response = await client.head("/rooms")
        assert response.status_code == 200
        assert response.content == b""

    async def test_the_policy_allows_no_inline_script_nor_eval(self) -> None:
        directives = dict(d.strip().split(" ", 1) for d in POLICY.split(";"))
        assert directives["script-src"] == "'self'"
        assert "unsafe" not in POLICY
        assert directives["frame-ancestors"] == "'none'"
        assert directives["default-src"] == "'none'"


class TestItsFiles:
    async def test_a_hashed_asset_is_cached_for_a_year(
        self, embedded: AppFactory, dist: Path
    ) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            response = await client.get("/assets/index-abc123.js")
        assert response.status_code == 200
        assert response.text == ASSET
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers.get_list("cache-control") == ["public, max-age=31536000, immutable"]

    async def test_an_unhashed_file_is_revalidated(self, embedded: AppFactory, dist: Path) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            response = await client.get("/favicon.svg")
        assert response.status_code == 200
        assert response.headers.get_list("cache-control") == ["no-cache"]

    @pytest.mark.parametrize(
        "path",
        ["/assets/index-old.js", "/.hidden", "/assets/../../outside.txt", "/%2e%2e/outside.txt"],
    )
    async def test_a_missing_hidden_or_outside_file_is_404(
        self, embedded: AppFactory, dist: Path, path: str
    ) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            response = await client.get(path)
        assert response.status_code == 404
        assert "outside" not in response.text
        assert "secret" not in response.text

    async def test_an_unbuilt_app_says_how_to_build_it(
        self, embedded: AppFactory, tmp_path: Path
    ) -> None:
        async with embedded(web_dist=tmp_path / "none") as running, running.client() as client:
            response = await client.get("/")
        assert_problem(response, 404)
        assert "make web" in response.json()["detail"]


class TestNothingElseIsShadowed:
    async def test_the_api_keeps_its_answers(self, embedded: AppFactory, dist: Path) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            ann = await signed_up(client, "ann")
            me = await client.get("/api/v1/users/me", headers=ann.headers)
            unknown = await client.get("/api/v1/nothing-here")
            bare = await client.get("/api/nothing")
            jwks = await client.get("/.well-known/jwks.json")
        assert me.status_code == 200
        assert me.json()["username"] == "ann"
        assert_problem(unknown, 404)
        assert_problem(bare, 404)
        assert jwks.status_code == 200
        assert "keys" in jwks.json()

    @pytest.mark.parametrize("path", ["/health", "/ready", "/api/openapi.json", "/api/docs"])
    async def test_the_gateways_own_routes_keep_theirs(
        self, embedded: AppFactory, dist: Path, path: str
    ) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            response = await client.get(path)
        assert response.status_code == 200
        assert response.text != INDEX

    async def test_a_write_to_an_app_route_is_not_the_app(
        self, embedded: AppFactory, dist: Path
    ) -> None:
        async with embedded(web_dist=dist) as running, running.client() as client:
            response = await client.post("/rooms", json={})
        assert response.status_code in (404, 405)
        assert response.text != INDEX


class TestDistributedMode:
    async def test_the_proxying_gateway_serves_the_app_too(
        self, settings: dict[str, Any], dist: Path
    ) -> None:
        async with (
            distributed_gateway(settings, "users", web_dist=dist) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            page = await http.get("/rooms/abc")
            asset = await http.get("/assets/index-abc123.js")
            jwks = await http.get("/.well-known/jwks.json")
        assert_app_page(page)
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert jwks.status_code == 200
