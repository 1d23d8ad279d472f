"""Bad input on every write is a 422 problem naming the field, and nothing is written."""

from typing import Any

import httpx
import pytest

from tests.helpers.builders import assert_problem, signed_up
from tests.helpers.rooms import Cast, room_with_roles
from tests.rooms.conftest import ROOMS, OutboxReader, snapshot

# Bad input is refused before any query, the same on both backends: the embedded one alone.
pytestmark = pytest.mark.only_backend("sqlite")

BAD_ROOMS: list[Any] = [
    {},
    {"name": ""},
    {"name": "   "},
    {"name": "x" * 101},
    {"name": 5},
    {"name": None},
    {"name": ["Room"]},
    {"name": "Room", "description": "x" * 2001},
    {"name": "Room", "description": 7},
    {"name": "Room", "colour": "red"},
    ["name", "Room"],
]
BAD_ROOM_UPDATES: list[Any] = [
    {"name": ""},
    {"name": None},
    {"name": "x" * 101},
    {"description": "x" * 2001},
    {"description": False},
    {"code": "ABCDEFGHJ"},
    {"owner_id": "01a20000-0000-7000-8000-000000000000"},
]
BAD_JOINS: list[Any] = [
    {},
    {"code": ""},
    {"code": 123456789},
    {"code": "x" * 33},
    {"code": "A", "x": 1},
]
BAD_MEMBER_ADDS: list[Any] = [
    {},
    {"role": "member"},
    {"user_id": "{tia}", "username": "tia_person"},
    {"user_id": "not-a-uuid"},
    {"user_id": 12},
    {"username": "no spaces allowed"},
    {"username": "x" * 41},
    {"username": "outsider_person", "role": "owner"},
    {"username": "outsider_person", "role": "superuser"},
    {"username": "outsider_person", "role": 1},
    {"username": "outsider_person", "admin": True},
]
BAD_ROLE_CHANGES: list[Any] = [
    {},
    {"role": "owner"},
    {"role": "boss"},
    {"role": None},
    {"role": "viewer", "until": "tomorrow"},
]
BAD_HANDOVERS: list[Any] = [
    {},
    {"user_id": "nope"},
    {"user_id": None},
    {"user_id": "{tia}", "x": 1},
]


def _fill(body: Any, cast: Cast) -> Any:
    if isinstance(body, dict):
        return {k: (cast.tia.id if v == "{tia}" else v) for k, v in body.items()}
    return body


class TestBadInput:
    async def test_creating_a_room_with_bad_input_writes_nothing(
        self, client: httpx.AsyncClient, published: OutboxReader
    ) -> None:
        ann = await signed_up(client, "ann")
        for body in BAD_ROOMS:
            reply = await client.post(ROOMS, json=body, headers=ann.headers)
            assert assert_problem(reply, 422)["type"] == "/problems/validation-error", body
        assert (await client.get(ROOMS, headers=ann.headers)).json()["items"] == []
        assert await published() == []

    async def test_room_writes_with_bad_input_change_nothing(
        self, client: httpx.AsyncClient, cast: Cast, published: OutboxReader
    ) -> None:
        room = await room_with_roles(client, cast)
        before, events = await snapshot(client, cast.owner, room.id), await published()
        writes = (
            ("PATCH", "", BAD_ROOM_UPDATES),
            ("POST", "/members", BAD_MEMBER_ADDS),
            ("PATCH", f"/members/{cast.tia.id}", BAD_ROLE_CHANGES),
            ("POST", "/owner", BAD_HANDOVERS),
        )
        for method, path, bodies in writes:
            for body in bodies:
                reply = await client.request(
                    method,
                    f"{ROOMS}/{room.id}{path}",
                    json=_fill(body, cast),
                    headers=cast.owner.headers,
                )
                assert assert_problem(reply, 422)["errors"], (path, body)
        assert await snapshot(client, cast.owner, room.id) == before
        assert await published() == events

    async def test_joining_with_bad_input_is_a_422(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        for body in BAD_JOINS:
            assert_problem(await client.post(f"{ROOMS}/join", json=body, headers=ann.headers), 422)

    async def test_a_body_that_is_not_json_is_a_422(self, client: httpx.AsyncClient) -> None:
        ann = await signed_up(client, "ann")
        reply = await client.post(
            ROOMS,
            content=b"{not json",
            headers={**ann.headers, "content-type": "application/json"},
        )
        assert assert_problem(reply, 422)["detail"] == "The body is not valid JSON."

    async def test_a_page_size_out_of_range_is_a_422(
        self, client: httpx.AsyncClient, cast: Cast
    ) -> None:
        room = await room_with_roles(client, cast)
        for path in (ROOMS, f"{ROOMS}/{room.id}/members"):
            for limit in (0, -1, 201, "many"):
                reply = await client.get(path, params={"limit": limit}, headers=cast.owner.headers)
                assert_problem(reply, 422)
