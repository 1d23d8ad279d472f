"""The live endpoint of the embedded stack, over a real socket: on SQLite without Redis
(everything in process) and on PostgreSQL with Redis (sequences, buffers and fan-out in
Redis)."""

import orjson
import websockets

from tests.helpers.builders import signed_up
from tests.helpers.live import events_until, live_socket, live_url, receive, receive_until
from tests.helpers.rooms import create_room, join


async def _update(http, person, task_id: str, **changes) -> None:  # type: ignore[no-untyped-def]
    response = await http.patch(f"/api/v1/tasks/{task_id}", json=changes, headers=person.headers)
    assert response.status_code == 200, response.text


async def _task(http, person, room_id: str, title: str = "Write it") -> dict:  # type: ignore[no-untyped-def]
    response = await http.post(
        f"/api/v1/rooms/{room_id}/tasks", json={"title": title}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestAuthentication:
    async def test_a_bad_token_is_closed_with_4401(self, served: str) -> None:
        async with websockets.connect(live_url(served)) as socket:
            await socket.send(orjson.dumps({"type": "auth", "token": "nonsense"}).decode())
            await receive_until_closed(socket)
        assert socket.close_code == 4401

    async def test_a_first_message_that_is_not_auth_is_closed_with_4401(
        self, served: str
    ) -> None:
        async with websockets.connect(live_url(served)) as socket:
            await socket.send(orjson.dumps({"type": "subscribe", "rooms": []}).decode())
            await receive_until_closed(socket)
        assert socket.close_code == 4401


async def receive_until_closed(socket) -> None:  # type: ignore[no-untyped-def]
    try:
        while True:
            await receive(socket)
    except websockets.ConnectionClosed:
        return


class TestRoomEvents:
    async def test_a_member_sees_a_task_change_made_by_another(self, http, served) -> None:  # type: ignore[no-untyped-def]
        ann, bob = await signed_up(http, "ann"), await signed_up(http, "bob")
        room = await create_room(http, ann)
        await join(http, bob, room["code"])
        async with live_socket(served, bob.access_token) as (socket, ready):
            assert ready["rooms"] == [room["id"]]
            task = await _task(http, ann, room["id"])
            await _update(http, ann, task["id"], status="in_progress")
            seen = await events_until(socket, "task.updated")
        # The room's own membership events may come first: the bus is asynchronous.
        tasks = [m["event"]["type"] for m in seen if m["event"]["type"].startswith("task.")]
        assert tasks == ["task.created", "task.updated"]
        assert [m["seq"] for m in seen] == list(range(seen[0]["seq"], seen[0]["seq"] + len(seen)))
        update = seen[-1]
        assert update["room_id"] == room["id"]
        assert update["event"]["actor_id"] == ann.id
        assert update["event"]["data"]["changes"]["status"] == "in_progress"
        assert set(update["event"]) == {"id", "type", "occurred_at", "actor_id", "data"}
