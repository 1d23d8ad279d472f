"""Finding 9 of the security probe: `/metrics` is served only to the configured scrapers (an
allow-list of networks, or a bearer token), on the gateway and on each service's own port; a
service's own docs pages are off unless enabled."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tasksync import stack
from tests.helpers.builders import assert_problem
from tests.helpers.stacks import AppFactory, RunningApp

# Who may scrape is decided before any query: one backend suffices.
pytestmark = pytest.mark.only_backend("sqlite")

OUTSIDER = "203.0.113.9"
TOKEN = "scrape-me-9f2c"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestGatewayMetrics:
    async def test_loopback_may_scrape_by_default_and_others_may_not(
        self, embedded: AppFactory
    ) -> None:
        async with embedded() as running:
            async with running.client() as local:
                scraped = await local.get("/metrics")
            async with running.client(OUTSIDER) as outsider:
                refused = await outsider.get("/metrics")
        assert scraped.status_code == 200
        assert "tasksync_http_requests_total" in scraped.text
        assert_problem(refused, 403)
        assert "tasksync_http" not in refused.text

    async def test_the_token_opens_it_from_anywhere_and_a_wrong_one_does_not(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(metrics_token=TOKEN) as running, running.client(OUTSIDER) as http:
            assert (await http.get("/metrics", headers=_bearer(TOKEN))).status_code == 200
            assert_problem(await http.get("/metrics", headers=_bearer("guess")), 403)
            assert_problem(await http.get("/metrics"), 403)

    async def test_an_allowed_network_may_scrape_and_an_empty_list_allows_no_address(
        self, embedded: AppFactory
    ) -> None:
        async with embedded(metrics_allow="203.0.113.0/24") as running:
            async with running.client(OUTSIDER) as inside:
                assert (await inside.get("/metrics")).status_code == 200
            async with running.client() as local:
                assert_problem(await local.get("/metrics"), 403)
        async with (
            embedded(metrics_allow="", metrics_token=TOKEN) as running,
            running.client() as local,
        ):
            assert_problem(await local.get("/metrics"), 403)
            assert (await local.get("/metrics", headers=_bearer(TOKEN))).status_code == 200


@asynccontextmanager
async def _service(settings: dict[str, Any], **extra: Any) -> AsyncIterator[RunningApp]:
    """The tasks service alone, as on its own port in distributed mode."""
    app = stack.build_service("tasks", **settings, **extra)
    async with app.router.lifespan_context(app):
        yield RunningApp(app)


class TestServiceOwnPort:
    async def test_a_service_serves_metrics_to_allowed_scrapers_only(
        self, settings: dict[str, Any]
    ) -> None:
        async with _service(settings, metrics_token=TOKEN) as service:
            async with service.client(OUTSIDER) as outsider:
                assert_problem(await outsider.get("/metrics"), 403)
                with_token = await outsider.get("/metrics", headers=_bearer(TOKEN))
            async with service.client() as local:
                assert (await local.get("/metrics")).status_code == 200
        assert with_token.status_code == 200

    async def test_a_service_has_no_docs_pages_unless_enabled(
        self, settings: dict[str, Any]
    ) -> None:
        async with _service(settings) as service, service.client(OUTSIDER) as http:
            assert_problem(await http.get("/docs"), 404)
            assert_problem(await http.get("/redoc"), 404)
            # The gateway builds the merged document from it: the same as /api/openapi.json.
            assert (await http.get("/openapi.json")).status_code == 200
        async with _service(settings, service_docs=True) as service, service.client() as http:
            assert (await http.get("/docs")).status_code == 200

    async def test_the_merged_docs_stay_on_the_gateway(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/docs")).status_code == 200
        assert (await client.get("/api/openapi.json")).status_code == 200
