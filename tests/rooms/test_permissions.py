"""The room role table, route by route: viewers see, members see, admins manage members below
admin and the code, the owner does everything; outsiders get 404, anonymous callers 401.

A refused call changes nothing: the room looks the same to its owner before and after.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.helpers.builders import assert_problem
from tests.helpers.rooms import Cast, RoleRoom, room_with_roles
from tests.rooms.conftest import ROLES, ROOMS, snapshot

# The role checks are the same code on both backends, and the role replica's queries run on
# PostgreSQL in every other suite: the role table runs on the embedded backend alone.
pytestmark = pytest.mark.only_backend("sqlite")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {room} and {tia} are filled in per room, {tia} and {outsider} in bodies
    body: dict[str, Any] | None
    # Expected status for viewer, member, admin, owner.
    allowed: tuple[int, int, int, int]

    def url(self, room: RoleRoom, cast: Cast) -> str:
        return self.path.format(room=room.id, tia=cast.tia.id)

    def payload(self, cast: Cast) -> dict[str, Any] | None:
        if self.body is None:
            return None
        people = {"{tia}": cast.tia.id, "{outsider}": cast.outsider.id}
        return {k: people.get(v, v) for k, v in self.body.items()}

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ROOM_ROUTES = [
    Route("GET", ROOMS + "/{room}", None, (200, 200, 200, 200)),
    Route("PATCH", ROOMS + "/{room}", {"name": "Renamed"}, (403, 403, 403, 200)),
    Route("DELETE", ROOMS + "/{room}", None, (403, 403, 403, 204)),
    Route("POST", ROOMS + "/{room}/code", None, (403, 403, 200, 200)),
    Route("POST", ROOMS + "/{room}/owner", {"user_id": "{tia}"}, (403, 403, 403, 200)),
    Route("GET", ROOMS + "/{room}/members", None, (200, 200, 200, 200)),
    Route(
        "POST",
        ROOMS + "/{room}/members",
        {"user_id": "{outsider}", "role": "member"},
        (403, 403, 201, 201),
    ),
    Route("GET", ROOMS + "/{room}/members/{tia}", None, (200, 200, 200, 200)),
    Route("PATCH", ROOMS + "/{room}/members/{tia}", {"role": "viewer"}, (403, 403, 200, 200)),
    Route("DELETE", ROOMS + "/{room}/members/{tia}", None, (403, 403, 204, 204)),
]


async def _call(
    client: httpx.AsyncClient,
    route: Route,
    room: RoleRoom,
    cast: Cast,
    headers: dict[str, str] | None,
) -> httpx.Response:
    body = route.payload(cast)
    return await client.request(route.method, route.url(room, cast), json=body, headers=headers)


class TestRoleTable:
    @pytest.mark.parametrize("role", ROLES)
    async def test_each_route_answers_each_role_as_the_table_says(
        self, client: httpx.AsyncClient, cast: Cast, role: str
    ) -> None:
        room = await room_with_roles(client, cast)
        for route in ROOM_ROUTES:
            expected = route.allowed[ROLES.index(role)]
            before = await snapshot(client, cast.owner, room.id)
            response = await _call(client, route, room, cast, cast.of(role).headers)
            if expected >= 400:
                body = assert_problem(response, expected)
                assert body["type"] == "/problems/forbidden", (str(route), body)
                assert await snapshot(client, cast.owner, room.id) == before, str(route)
            else:
                assert response.status_code == expected, (str(route), response.text)
                if route.method != "GET":  # it changed the room: the next route gets a fresh one
                    room = await room_with_roles(client, cast)

    async def test_an_outsider_gets_404_everywhere_even_owning_a_room_and_nothing_changes(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        """The outsider owns a room of their own; its owner's power does not reach another."""
        own = await client.post(ROOMS, json={"name": "Mine"}, headers=cast.outsider.headers)
        assert own.status_code == 201
        room = await room_with_roles(client, cast)
        before = await snapshot(client, cast.owner, room.id)
        for route in ROOM_ROUTES:
            response = await _call(client, route, room, cast, cast.outsider.headers)
            body = assert_problem(response, 404)
            assert "No room" in body["detail"], str(route)
        assert await snapshot(client, cast.owner, room.id) == before

    async def test_an_anonymous_caller_gets_401_everywhere_and_nothing_changes(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        before = await snapshot(client, cast.owner, room.id)
        for route in ROOM_ROUTES:
            assert_problem(await _call(client, route, room, cast, None), 401)
        assert await snapshot(client, cast.owner, room.id) == before

    async def test_a_missing_room_gives_404_and_a_malformed_id_422(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        for room_id, status in ((str(uuid.uuid4()), 404), ("not-a-uuid", 422)):
            for route in ROOM_ROUTES:
                response = await _call(
                    client, route, RoleRoom(room_id, "", cast), cast, cast.owner.headers
                )
                assert_problem(response, status)


MEMBER_ROUTES = [r for r in ROOM_ROUTES if "{tia}" in r.path]


class TestMemberIdInThePath:
    async def test_a_stranger_gives_404_a_malformed_id_422_and_nothing_changes(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        before = await snapshot(client, cast.owner, room.id)
        cases = ((cast.outsider.id, 404), (str(uuid.uuid4()), 404), ("not-a-uuid", 422))
        for route in MEMBER_ROUTES:
            for user_id, status in cases:
                url = f"{ROOMS}/{room.id}/members/{user_id}"
                response = await client.request(
                    route.method, url, json=route.body, headers=cast.owner.headers
                )
                assert_problem(response, status)
        assert await snapshot(client, cast.owner, room.id) == before


class TestRoutesOutsideARoom:
    async def test_an_anonymous_caller_or_a_bad_token_gets_401(
        self, client: httpx.AsyncClient
    ) -> None:
        calls = [
            ("POST", ROOMS, {"name": "Room"}),
            ("GET", ROOMS, None),
            ("POST", ROOMS + "/join", {"code": "ABCDEFGHJ"}),
        ]
        for headers in (None, {"Authorization": "Bearer nonsense"}):
            for method, path, body in calls:
                response = await client.request(method, path, json=body, headers=headers)
                assert_problem(response, 401)
