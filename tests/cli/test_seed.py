"""`tasksync seed` fills every service so that the API works on the data at once."""

from typing import Any

import httpx
from typer.testing import CliRunner

from tasksync import stack
from tasksync.cli import seed as seeding
from tasksync.cli.main import app


async def test_seeded_people_rooms_and_tasks_work_through_the_api(settings: dict[str, Any]) -> None:
    seen: dict[str, int] = {}
    done = await seeding.seed(
        settings,
        users=8,
        rooms=2,
        tasks=30,
        comments=40,
        progress=lambda table, n: seen.__setitem__(table, seen.get(table, 0) + n),
    )
    assert seen["tasks"] == 30
    assert seen["users"] == 8
    assert seen["known_users"] == 16  # rooms' and comments' replicas
    assert seen["comments"] == done.comments == 40

    gateway = stack.build_embedded(**settings)
    async with gateway.router.lifespan_context(gateway):
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            owner = None
            for username in done.usernames:
                login = await http.post(
                    "/api/v1/auth/login", json={"username": username, "password": seeding.PASSWORD}
                )
                assert login.status_code == 200, login.text
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                rooms = (await http.get("/api/v1/rooms", headers=headers)).json()["items"]
                assert len(rooms) == 2
                assert all(room["member_count"] == 8 for room in rooms)
                if rooms[0]["my_role"] == "owner":
                    owner, room = headers, rooms[0]
            assert owner is not None
            listed = (
                await http.get(
                    f"/api/v1/rooms/{room['id']}/tasks", params={"limit": 200}, headers=owner
                )
            ).json()
            assert sorted(t["number"] for t in listed["items"]) == list(range(1, 16))
            discussed = max(listed["items"], key=lambda t: t["comment_count"])
            talk = (
                await http.get(f"/api/v1/tasks/{discussed['id']}/comments", headers=owner)
            ).json()["items"]
            assert len(talk) == discussed["comment_count"] > 0
            assert all(c["body_html"].startswith("<p>") for c in talk)
            reply = await http.post(
                f"/api/v1/tasks/{discussed['id']}/comments",
                json={"body": "After the seed", "parent_id": talk[0]["id"]},
                headers=owner,
            )
            assert reply.status_code == 201, reply.text
            created = await http.post(
                f"/api/v1/rooms/{room['id']}/tasks", json={"title": "After the seed"}, headers=owner
            )
            assert created.status_code == 201, created.text
            assert created.json()["number"] == 16  # the counter continues after the seeded tasks
            joined = await http.post(
                "/api/v1/rooms/join", json={"code": room["code"]}, headers=owner
            )
            assert joined.status_code == 200


def test_the_command_reports_what_it_made_and_how_to_sign_in(tmp_path: Any) -> None:
    result = CliRunner().invoke(
        app, ["seed", "--users", "3", "--rooms", "1", "--tasks", "10", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "Seeded 3 accounts, 1 rooms and 10 tasks (with 200 comments)" in result.output
    assert seeding.PASSWORD in result.output
