"""The live endpoint of the embedded stack over a real socket, in both modes: SQLite without
Redis (sequences, buffers and fan-out in this process) and PostgreSQL with Redis (in Redis)."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import orjson
import pytest
import websockets

from tasksync import stack
from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.contracts.events import Envelope
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, signed_up
from tests.helpers.live import (
    closed_with,
    events_until,
    live_socket,
    live_url,
    receive,
    receive_until,
)
from tests.helpers.rooms import create_room, join
from tests.helpers.servers import running_server
from tests.helpers.tasks import create_task
from tests.realtime.conftest import Serve
from tests.users.test_tokens import _claims, _kid, _real_private_key


async def update_task(
    http: httpx.AsyncClient, person: Person, task_id: str, **changes: Any
) -> None:
    response = await http.patch(f"/api/v1/tasks/{task_id}", json=changes, headers=person.headers)
    assert response.status_code == 200, response.text


async def pair_in_room(http: httpx.AsyncClient) -> tuple[Person, Person, dict[str, Any]]:
    """Ann's room, which Bob joined."""
    ann, bob = await signed_up(http, "ann"), await signed_up(http, "bob")
    room = await create_room(http, ann)
    await join(http, bob, room["code"])
    return ann, bob, room


def send(socket: Any, **message: Any) -> Any:
    return socket.send(orjson.dumps(message).decode())


def task_events(messages: list[dict[str, Any]]) -> list[str]:
    return [m["event"]["type"] for m in messages if m["event"]["type"].startswith("task.")]


def assert_gap_free(messages: list[dict[str, Any]]) -> None:
    seqs = [m["seq"] for m in messages]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


class TestRouting:
    @pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v1/tasks", "/elsewhere"])
    async def test_a_socket_to_a_path_without_a_websocket_route_is_refused(
        self, served: str, path: str
    ) -> None:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(served.replace("http://", "ws://", 1) + path)
        assert refused.value.response.status_code == 403


@ONE_BACKEND
class TestAuthentication:
    async def test_a_bad_token_is_closed_with_4401(self, served: str) -> None:
        async with websockets.connect(live_url(served)) as socket:
            await send(socket, type="auth", token="nonsense")
            assert await closed_with(socket) == 4401

    async def test_a_first_message_that_is_not_auth_is_closed_with_4401(self, served: str) -> None:
        async with websockets.connect(live_url(served)) as socket:
            await send(socket, type="subscribe", rooms=[])
            assert await closed_with(socket) == 4401

    async def test_silence_after_connecting_is_closed_with_4401(self, serve: Serve) -> None:
        async with serve(live_auth_timeout=0.2) as url, websockets.connect(live_url(url)) as socket:
            assert await closed_with(socket) == 4401

    async def test_a_fresh_token_of_the_same_account_keeps_the_socket(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann = await signed_up(http, "ann")
        fresh = await http.post("/api/v1/auth/refresh", json={"refresh_token": ann.refresh_token})
        async with live_socket(served, ann.access_token) as (socket, _):
            await send(socket, type="auth", token=fresh.json()["access_token"])
            await send(socket, type="ping")
            assert (await receive(socket))["type"] == "pong"

    async def test_a_token_of_another_account_closes_the_socket(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob = await signed_up(http, "ann"), await signed_up(http, "bob")
        async with live_socket(served, ann.access_token) as (socket, _):
            await send(socket, type="auth", token=bob.access_token)
            assert await closed_with(socket) == 4401


class TestTokenExpiry:
    @pytest.mark.only_backend("sqlite")
    async def test_a_socket_is_closed_with_4401_when_its_token_expires(
        self, http: httpx.AsyncClient, served: str, settings: dict[str, Any]
    ) -> None:
        ann = await signed_up(http, "ann")
        kid = _kid(ann.access_token)
        users = await Database.open(stack.settings_for("users", **settings).database_url("users"))
        try:
            key = await _real_private_key(users, kid)
        finally:
            await users.close()
        soon = _claims(ann, exp=int(time.time()) + 4)
        token = jwt.encode(soon, key, algorithm="EdDSA", headers={"kid": kid})
        async with live_socket(served, token) as (socket, _):
            assert await closed_with(socket) == 4401
            assert socket.close_reason == "The access token expired; send a fresh one."


@ONE_BACKEND
class TestLimits:
    async def test_a_message_too_large_is_a_policy_close(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann = await signed_up(http, "ann")
        async with live_socket(served, ann.access_token) as (socket, _):
            await send(socket, type="ping", padding="x" * 5000)
            assert await closed_with(socket) == 1008

    async def test_an_unknown_message_is_a_policy_close(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann = await signed_up(http, "ann")
        async with live_socket(served, ann.access_token) as (socket, _):
            await send(socket, type="dance")
            assert await closed_with(socket) == 1008

    async def test_too_many_messages_is_a_policy_close(self, serve: Serve) -> None:
        async with serve(live_messages_per_10s=3) as url, httpx.AsyncClient(base_url=url) as http:
            ann = await signed_up(http, "ann")
            async with live_socket(url, ann.access_token) as (socket, _):
                for _ in range(5):
                    await send(socket, type="ping")
                assert await closed_with(socket) == 1008

    async def test_one_account_may_open_only_so_many_sockets(self, serve: Serve) -> None:
        async with (
            serve(live_connections_per_user=1) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            ann = await signed_up(http, "ann")
            async with (
                live_socket(url, ann.access_token),
                websockets.connect(live_url(url)) as second,
            ):
                await send(second, type="auth", token=ann.access_token)
                assert await closed_with(second) == 1008


class TestRoomEvents:
    async def test_a_member_sees_a_task_change_made_by_another(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob, room = await pair_in_room(http)
        async with live_socket(served, bob.access_token) as (socket, ready):
            assert ready["rooms"] == [room["id"]]
            task = await create_task(http, ann, room["id"])
            await update_task(http, ann, task["id"], status="in_progress")
            seen = await events_until(socket, "task.updated")
        # The room's own membership events may come first: the bus is asynchronous.
        assert task_events(seen) == ["task.created", "task.updated"]
        assert_gap_free(seen)
        update = seen[-1]
        assert update["room_id"] == room["id"]
        assert update["event"]["actor_id"] == ann.id
        assert update["event"]["data"]["changes"]["status"] == "in_progress"
        assert set(update["event"]) == {"id", "type", "occurred_at", "actor_id", "data"}

    async def test_a_member_receives_every_event_of_a_session_in_order(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob, room = await pair_in_room(http)
        async with live_socket(served, bob.access_token) as (socket, _):
            script = []
            for title in ("one", "two", "three"):
                task = await create_task(http, ann, room["id"], title)
                await update_task(http, ann, task["id"], priority="high")
                script += ["task.created", "task.updated"]
            response = await http.delete(f"/api/v1/tasks/{task['id']}", headers=ann.headers)
            assert response.status_code == 204
            seen = await events_until(socket, "task.deleted")
        assert task_events(seen) == [*script, "task.deleted"]
        assert len({m["event"]["id"] for m in seen}) == len(seen)
        assert_gap_free(seen)

    async def test_an_outsider_receives_nothing_of_the_room(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, _, room = await pair_in_room(http)
        eve = await signed_up(http, "eve")
        own = await create_room(http, eve, "Eve's")
        async with live_socket(served, eve.access_token) as (socket, ready):
            assert ready["rooms"] == [own["id"]]
            await send(socket, type="subscribe", rooms=[room["id"], own["id"]])
            assert (await receive_until(socket, "subscribed"))[-1]["rooms"] == [own["id"]]
            await send(socket, type="resume", room_id=room["id"], after=0)
            assert (await receive_until(socket, "error"))[-1]["room_id"] == room["id"]
            await create_task(http, ann, room["id"], "secret")
            # Eve's own task comes after Ann's from the same bus: Ann's would come first.
            await create_task(http, eve, own["id"], "mine")
            seen = await events_until(socket, "task.created")
        assert {m["room_id"] for m in seen} == {own["id"]}
        assert "secret" not in orjson.dumps(seen).decode()

    async def test_subscribe_narrows_to_the_rooms_named(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob, room = await pair_in_room(http)
        other = await create_room(http, ann, "Other")
        await join(http, bob, other["code"])
        async with live_socket(served, bob.access_token) as (socket, ready):
            assert sorted(ready["rooms"]) == sorted([room["id"], other["id"]])
            await send(socket, type="subscribe", rooms=[other["id"]])
            assert (await receive_until(socket, "subscribed"))[-1]["rooms"] == [other["id"]]
            await create_task(http, ann, room["id"], "quiet")
            await create_task(http, ann, other["id"], "loud")
            seen = await events_until(socket, "task.created")
        assert seen[-1]["event"]["data"]["title"] == "loud"
        assert {m["room_id"] for m in seen} == {other["id"]}


class TestMembership:
    async def test_a_removed_member_stops_receiving_the_room_at_once(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob, room = await pair_in_room(http)
        other = await create_room(http, ann, "Other")
        await join(http, bob, other["code"])
        async with live_socket(served, bob.access_token) as (socket, _):
            removed = await http.delete(
                f"/api/v1/rooms/{room['id']}/members/{bob.id}", headers=ann.headers
            )
            assert removed.status_code == 204
            await create_task(http, ann, room["id"], "after removal")
            await create_task(http, ann, other["id"], "marker")
            seen = await receive_until(socket, "unsubscribed")
            seen += await events_until(socket, "task.created")
        gone = next(i for i, m in enumerate(seen) if m["type"] == "unsubscribed")
        assert seen[gone] == {"type": "unsubscribed", "room_id": room["id"], "reason": "removed"}
        assert all(m.get("room_id") != room["id"] for m in seen[gone + 1 :])
        assert "after removal" not in orjson.dumps(seen).decode()

    async def test_someone_who_joins_while_connected_receives_the_room(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob = await signed_up(http, "ann"), await signed_up(http, "bob")
        room = await create_room(http, ann)
        async with live_socket(served, bob.access_token) as (socket, ready):
            assert ready["rooms"] == []
            await join(http, bob, room["code"])
            await events_until(socket, "member.added")
            await create_task(http, ann, room["id"], "welcome")
            seen = await events_until(socket, "task.created")
        assert seen[-1]["event"]["data"]["title"] == "welcome"

    async def test_a_deleted_room_unsubscribes_its_members(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob, room = await pair_in_room(http)
        async with live_socket(served, bob.access_token) as (socket, _):
            deleted = await http.delete(f"/api/v1/rooms/{room['id']}", headers=ann.headers)
            assert deleted.status_code == 204
            seen = await receive_until(socket, "unsubscribed")
        assert seen[-1]["reason"] == "room_deleted"

    async def test_a_deleted_account_is_disconnected(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann = await signed_up(http, "ann")
        async with live_socket(served, ann.access_token) as (socket, _):
            response = await http.request(
                "DELETE", "/api/v1/users/me", json={"password": ann.password}, headers=ann.headers
            )
            assert response.status_code == 204
            assert await closed_with(socket) == 4403


class TestResume:
    async def test_resume_replays_what_was_missed(
        self, http: httpx.AsyncClient, served: str
    ) -> None:
        ann, bob, room = await pair_in_room(http)
        task = await create_task(http, ann, room["id"])
        async with live_socket(served, bob.access_token) as (socket, _):
            await update_task(http, ann, task["id"], title="seen")
            last = (await events_until(socket, "task.updated"))[-1]["seq"]
        await update_task(http, ann, task["id"], title="missed one")
        await update_task(http, ann, task["id"], title="missed two")
        await update_task(http, ann, task["id"], title="live")
        async with live_socket(served, bob.access_token) as (socket, _):
            await send(socket, type="resume", room_id=room["id"], after=last)
            replayed = await _applied_up_to_title(socket, after=last, title="live")
        titles = [
            m["event"]["data"]["changes"]["title"]
            for m in replayed
            if m["event"]["type"] == "task.updated"
        ]
        assert titles == ["missed one", "missed two", "live"]

    async def test_resume_beyond_the_buffer_says_reset(self, serve: Serve) -> None:
        async with serve(live_buffer_events=2) as url, httpx.AsyncClient(base_url=url) as http:
            ann, bob, room = await pair_in_room(http)
            task = await create_task(http, ann, room["id"])
            async with live_socket(url, bob.access_token) as (socket, _):
                await update_task(http, ann, task["id"], title="seen")
                last = (await events_until(socket, "task.updated"))[-1]["seq"]
            async with live_socket(url, ann.access_token) as (observer, _):
                for title in ("a", "b", "c"):
                    await update_task(http, ann, task["id"], title=title)
                await _titles_until(observer, "c")  # the server has pushed (and kept) them
            async with live_socket(url, bob.access_token) as (socket, _):
                await send(socket, type="resume", room_id=room["id"], after=last)
                seen = await receive_until(socket, "reset")
        assert seen[-1] == {"type": "reset", "room_id": room["id"]}


async def _applied_up_to_title(socket: Any, *, after: int, title: str) -> list[dict[str, Any]]:
    """What a client applies, as docs/realtime.md says: events by `seq` after `after`, a
    repeat ignored (an event still on its way when the socket opened comes live and in the
    replay), up to the update that sets `title` with no gap before it (the room's membership
    events may be numbered between the updates: producers' streams are read side by side)."""
    by_seq: dict[int, dict[str, Any]] = {}
    while True:
        message = await receive(socket)
        if message["type"] != "event" or message["seq"] <= after:
            continue
        by_seq.setdefault(message["seq"], message)
        applied = []
        for seq in range(after + 1, max(by_seq) + 1):
            if seq not in by_seq:
                break
            applied.append(by_seq[seq])
            if by_seq[seq]["event"]["data"].get("changes", {}).get("title") == title:
                return applied


async def _titles_until(socket: Any, title: str) -> list[tuple[str, int]]:
    seen = []
    while True:
        message = await receive(socket)
        if message["type"] == "event" and message["event"]["type"] == "task.updated":
            seen.append((message["event"]["data"]["changes"]["title"], message["seq"]))
            if seen[-1][0] == title:
                return seen


class TestShutdown:
    async def test_a_stopping_server_closes_every_socket_with_1012(self, serve: Serve) -> None:
        async with serve() as url:
            async with httpx.AsyncClient(base_url=url) as http:
                ann = await signed_up(http, "ann")
            socket = await websockets.connect(live_url(url))
            await send(socket, type="auth", token=ann.access_token)
            assert (await receive(socket))["type"] == "ready"
        assert await closed_with(socket) == 1012


class TestLateEvents:
    async def test_a_member_added_arriving_after_the_removal_does_not_readmit(
        self, settings: dict[str, Any]
    ) -> None:
        app = stack.build_embedded(**settings)
        async with running_server(app) as url, httpx.AsyncClient(base_url=url) as http:
            ann, bob, room = await pair_in_room(http)
            other = await create_room(http, ann, "Other")
            await join(http, bob, other["code"])
            async with live_socket(url, bob.access_token) as (socket, _):
                removed = await http.delete(
                    f"/api/v1/rooms/{room['id']}/members/{bob.id}", headers=ann.headers
                )
                assert removed.status_code == 204
                await receive_until(socket, "unsubscribed")
                # Bob's join, delivered late (a slow consumer, a replayed dead letter).
                late = Envelope(
                    id=uuid7(),
                    type="member.added",
                    version=1,
                    occurred_at=datetime.now(UTC),
                    producer="rooms",
                    actor_id=bob.id,
                    room_id=room["id"],
                    data={"room_id": room["id"], "user_id": bob.id, "role": "member"},
                )
                realtime = app.state.mounted["realtime"]
                async with realtime.state.kit.db.sessionmaker.begin() as session:
                    await realtime.state.runtime.route(session, late)
                await create_task(http, ann, room["id"], "after removal")
                await create_task(http, ann, other["id"], "marker")
                seen = await events_until(socket, "task.created")
        assert {m["room_id"] for m in seen} == {other["id"]}
