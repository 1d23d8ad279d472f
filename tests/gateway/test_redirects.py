"""Finding 11 of the security probe: no redirect built from the Host header or from a
service's own address. A path with a trailing slash is simply not a route."""

from typing import Any

import httpx

from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.distributed import distributed_gateway

FOREIGN_HOST = {"Host": "evil.example"}


@ONE_BACKEND
class TestTrailingSlashesEmbedded:
    async def test_a_trailing_slash_is_a_404_not_a_redirect_to_the_host_header(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.get("/api/v1/rooms/", headers={**ann.headers, **FOREIGN_HOST})
        assert_problem(response, 404)
        assert "location" not in response.headers

    async def test_the_route_without_the_slash_still_answers(
        self, client: httpx.AsyncClient
    ) -> None:
        ann = await signed_up(client, "ann")
        response = await client.get("/api/v1/rooms", headers={**ann.headers, **FOREIGN_HOST})
        assert response.status_code == 200


class TestTrailingSlashesDistributed:
    async def test_no_redirect_leaks_the_service_address_or_follows_the_host_header(
        self, settings: dict[str, Any]
    ) -> None:
        async with (
            distributed_gateway(settings, "rooms") as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            response = await http.get("/api/v1/rooms/", headers=FOREIGN_HOST)
        assert_problem(response, 404)
        assert "location" not in response.headers
