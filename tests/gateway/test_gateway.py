"""The gateway in the embedded stack: errors, docs, health, request ids, CORS, metrics."""

from typing import Any

import httpx

from tasksync import stack
from tasksync.common import registry
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem, signed_up


@ONE_BACKEND
class TestUnknownRoutes:
    async def test_unknown_api_path_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/nothing-here"), 404)

    async def test_unknown_file_outside_the_api_is_a_404_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        # Paths without an extension are the web app's routes (tests/gateway/test_web_app.py).
        assert_problem(await client.get("/nope.txt"), 404)

    async def test_wrong_method_on_a_service_route_is_a_405_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_problem(await client.put("/api/v1/auth/login"), 405)


@ONE_BACKEND
class TestEdgeAuthentication:
    async def test_a_malformed_token_is_refused_before_reaching_a_service(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            "/api/v1/users/me", headers={"Authorization": "Bearer not.a.jwt"}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_a_non_bearer_scheme_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/users/me", headers={"Authorization": "Basic YW5uOnB3"})
        assert_problem(response, 401)


class TestHealth:
    async def test_health_reports_every_service(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/health")).json()
        assert body["status"] == "ok"
        assert set(body["services"]) == set(registry.NAMES)
        assert all(s["status"] == "ok" for s in body["services"].values())

    async def test_ready_and_metrics_answer(self, client: httpx.AsyncClient) -> None:
        await client.get("/api/v1/nothing-here")
        assert (await client.get("/ready")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert (
            'tasksync_http_requests_total{method="GET",route="unmatched",service="gateway",status="404"}'
            in metrics
        )


@ONE_BACKEND
class TestDocs:
    async def test_openapi_merges_every_service_with_the_password_flow(
        self, client: httpx.AsyncClient
    ) -> None:
        spec = (await client.get("/api/openapi.json")).json()
        assert {
            "/api/v1/auth/login",
            "/api/v1/users/me",
            "/api/v1/admin/users",
            "/api/v1/tasks/{task_id}/comments",
            "/api/v1/comments/{comment_id}/reactions/{emoji}",
        } <= set(spec["paths"])
        schemes = spec["components"]["securitySchemes"]
        assert (
            schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
        )
        assert spec["paths"]["/api/v1/auth/login"]["post"]["summary"].startswith("Sign in")

    async def test_swagger_ui_and_redoc_point_at_the_merged_spec(
        self, client: httpx.AsyncClient
    ) -> None:
        for page in ("/api/docs", "/api/redoc"):
            response = await client.get(page)
            assert response.status_code == 200
            assert "/api/openapi.json" in response.text


@ONE_BACKEND
class TestRequestIds:
    async def test_a_given_request_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/health", headers={"X-Request-ID": "trace-me-123"})
        assert response.headers["x-request-id"] == "trace-me-123"

    async def test_a_request_id_is_made_when_none_is_given(self, client: httpx.AsyncClient) -> None:
        ids = {(await client.get("/health")).headers["x-request-id"] for _ in range(2)}
        assert len(ids) == 2

    async def test_the_service_behind_the_gateway_sees_the_same_request_id(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.get(
            "/api/v1/users/me", headers={**ann.headers, "X-Request-ID": "same-id"}
        )
        assert response.status_code == 200
        assert response.headers.get_list("x-request-id") == ["same-id"]


@ONE_BACKEND
class TestCors:
    async def test_configured_origins_get_cors_headers(self, settings: dict[str, Any]) -> None:
        app = stack.build_embedded(**settings, cors_origins=["https://app.example"])
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                preflight = await http.options(
                    "/api/v1/auth/login",
                    headers={
                        "Origin": "https://app.example",
                        "Access-Control-Request-Method": "POST",
                    },
                )
                other = await http.get("/health", headers={"Origin": "https://evil.example"})
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-origin" not in other.headers
