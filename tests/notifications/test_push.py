"""A new notification reaches its owner's open socket, end to end: a comment mentions Bob,
the notifications service writes his notification and publishes `notification.created`
(without a room), realtime pushes it to Bob's sockets alone."""

from typing import Any

import httpx

from tasksync import stack
from tests.helpers.builders import signed_up
from tests.helpers.live import live_socket, receive_until
from tests.helpers.rooms import create_room, join
from tests.helpers.servers import running_server
from tests.helpers.tasks import create_task


async def mention(http: httpx.AsyncClient, author: Any, task_id: str, who: str) -> None:
    response = await http.post(
        f"/api/v1/tasks/{task_id}/comments", json={"body": f"@{who} look"}, headers=author.headers
    )
    assert response.status_code == 201, response.text


async def test_a_mention_is_pushed_to_the_mentioned_persons_socket_only(
    settings: dict[str, Any],
) -> None:
    app = stack.build_embedded(**settings)
    async with running_server(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        ann, bob = await signed_up(http, "ann_person"), await signed_up(http, "bob_person")
        room = await create_room(http, ann, "Board")
        await join(http, bob, room["code"])
        task = await create_task(http, ann, room["id"], "Plan")
        async with (
            live_socket(url, ann.access_token) as (ann_socket, _),
            live_socket(url, bob.access_token) as (bob_socket, _),
        ):
            await mention(http, ann, task["id"], "bob_person")
            pushed = (await receive_until(bob_socket, "personal"))[-1]["event"]
            assert pushed["type"] == "notification.created"
            assert pushed["actor_id"] == ann.id
            data = pushed["data"]
            assert (data["user_id"], data["kind"]) == (bob.id, "mentioned")
            assert (data["room_id"], data["task_id"]) == (room["id"], task["id"])
            inbox = await http.get("/api/v1/notifications", headers=bob.headers)
            assert data["notification_id"] in [n["id"] for n in inbox.json()["items"]]
            # Ann's socket never carried Bob's: the first personal message she gets is hers
            await mention(http, bob, task["id"], "ann_person")
            hers = (await receive_until(ann_socket, "personal"))[-1]["event"]
            assert (hers["data"]["user_id"], hers["actor_id"]) == (ann.id, bob.id)
