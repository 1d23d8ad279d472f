"""What the HTTP benchmark asks for: the seeded room, signed-in members, and each scenario's
requests, for TaskSync and for the baseline."""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from bench.load import Request
from bench.stacks import database_dsn
from tasksync.cli.seed import PASSWORD

SEARCH_WORD = "budget"
CURSOR_PAGE = 20
# The reports' targets are set at 8 connections.
REPORT_CONNECTIONS = (1, 8, 32)
# The other services' scenarios read what the seed leaves out (it writes users, rooms, tasks
# and comments, and publishes no events): before the stack is measured, the room's admin
# makes tasks assigned to the owner through the API (every service hears of them: an
# "assigned" notification each) and comments on the first ones (a "commented" one each, the
# owner watching as assignee), and the owner uploads small files.
SERVICE_TASKS = 60
COMMENTED_TASKS = 10
COMMENTS_PER_TASK = 20
UPLOADED_FILES = 10
FILE_BYTES = 4096
BOUNDARY = "tasksync-bench"
UPLOAD_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
SERVICE_KEYS = (
    "comments-list",
    "files-download",
    "notifications-inbox",
    "activity-room",
    "comments-create",
    "files-upload",
)


@dataclass(frozen=True)
class Seeded:
    """The biggest seeded room, its members (owner first) and a sample of its tasks."""

    room_id: UUID
    usernames: list[str]
    task_ids: list[UUID]


async def _seeded(sample: int) -> Seeded:
    tasks = await asyncpg.connect(database_dsn("tasks"))
    users = await asyncpg.connect(database_dsn("users"))
    try:
        room_id = await tasks.fetchval("SELECT room_id FROM room_counters ORDER BY next DESC")
        members = await tasks.fetch(
            "SELECT user_id FROM room_roles WHERE room_id = $1 "
            "ORDER BY CASE role WHEN 'owner' THEN 0 ELSE 1 END, user_id",
            room_id,
        )
        names = dict(await users.fetch("SELECT id, username FROM users"))
        task_ids = await tasks.fetch(
            "SELECT id FROM tasks WHERE room_id = $1 ORDER BY random() LIMIT $2", room_id, sample
        )
    finally:
        await tasks.close()
        await users.close()
    return Seeded(
        room_id=room_id,
        usernames=[names[m["user_id"]] for m in members],
        task_ids=[row["id"] for row in task_ids],
    )


def seeded(sample: int = 1000) -> Seeded:
    return asyncio.run(_seeded(sample))


def sign_in(base_url: str, usernames: list[str]) -> list[str]:
    """Access tokens for each of `usernames`, in order."""
    tokens = []
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for name in usernames:
            response = http.post(
                "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
            )
            response.raise_for_status()
            tokens.append(response.json()["access_token"])
    return tokens


def _wait_until(done: Callable[[], bool], what: str) -> float:
    """Polls `done` until it holds; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < 600:
        if done():
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"not done in 600 s: {what}")


def wait_for_reports(base_url: str, room_id: UUID, token: str, tasks: int) -> float:
    """Waits until the reports service's read model (rebuilt from the tasks service when it
    starts empty) holds the room's `tasks`; returns the seconds it took."""
    path = f"/api/v1/rooms/{room_id}/reports/summary"
    with httpx.Client(base_url=base_url, timeout=30) as http:

        def holds() -> bool:
            response = http.get(path, headers={"Authorization": f"Bearer {token}"})
            return response.status_code == 200 and response.json()["total"] >= tasks

        return _wait_until(holds, f"the reports service holding the room's {tasks} tasks")


@dataclass(frozen=True)
class Prepared:
    """What the other services' scenarios work on, made through the API."""

    # The admin's tasks, assigned to the owner; the first COMMENTED_TASKS hold the comments.
    task_ids: list[UUID]
    file_ids: list[UUID]


def upload_body(name: str) -> str:
    """A multipart/form-data body (UPLOAD_TYPE) holding a FILE_BYTES text file as `file`."""
    content = ("Benchmark attachment. " * (FILE_BYTES // 22 + 1))[:FILE_BYTES]
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/plain\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n"
    )


def prepare_services(base_url: str, seed: Seeded, tokens: list[str]) -> Prepared:
    """Makes what the other services' scenarios read (see SERVICE_TASKS), then waits until
    the owner's inbox holds every notification and the room's feed a full first page."""
    owner, room = tokens[0], seed.room_id
    with httpx.Client(base_url=base_url, timeout=30) as http:

        def call(method: str, path: str, token: str, **sent: Any) -> Any:
            headers = {"Authorization": f"Bearer {token}"} | sent.pop("headers", {})
            response = http.request(method, f"/api/v1{path}", headers=headers, **sent)
            response.raise_for_status()
            return response.json()

        members = call("GET", f"/rooms/{room}/members", owner)["items"]
        owner_id = next(m["user_id"] for m in members if m["role"] == "owner")
        admin = next(m["username"] for m in members if m["role"] == "admin")
        writer = tokens[seed.usernames.index(admin)]
        task_ids = [
            call(
                "POST",
                f"/rooms/{room}/tasks",
                writer,
                json={"title": f"Service benchmark task {n}", "assignee_id": owner_id},
            )["id"]
            for n in range(SERVICE_TASKS)
        ]
        for task in task_ids[:COMMENTED_TASKS]:
            for n in range(COMMENTS_PER_TASK):
                call("POST", f"/tasks/{task}/comments", writer, json={"body": f"Comment {n}"})
        file_ids = [
            call(
                "POST",
                f"/tasks/{task}/files",
                owner,
                content=upload_body(f"bench-{n}.txt"),
                headers={"Content-Type": UPLOAD_TYPE},
            )["id"]
            for n, task in enumerate(task_ids[:UPLOADED_FILES])
        ]
        notified = SERVICE_TASKS + COMMENTED_TASKS * COMMENTS_PER_TASK
        _wait_until(
            lambda: call("GET", "/notifications/unread-count", owner)["unread"] >= notified,
            f"the owner's {notified} notifications",
        )
        _wait_until(
            lambda: call("GET", f"/rooms/{room}/activity", owner)["next_cursor"] is not None,
            "a full first page of the room's activity",
        )
    return Prepared([UUID(t) for t in task_ids], [UUID(f) for f in file_ids])


def cursor_of_page(base_url: str, path: str, token: str | None, page: int) -> str:
    """The cursor that opens page `page` (1-based) of a 50-task list, by walking to it."""
    cursor = None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        for _ in range(page - 1):
            params = {"limit": 50} | ({"cursor": cursor} if cursor else {})
            response = http.get(path, params=params)
            response.raise_for_status()
            cursor = response.json()["next_cursor"]
    assert cursor is not None
    return cursor


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    requests: list[Request]
    # The same work on the baseline app, and the baseline scenario this one is compared with.
    baseline: list[Request] | None = None
    compare_with: str | None = None
    # A write's baseline that also takes the room's counter row and the outbox lock.
    baseline_locked: list[Request] | None = None
    # Also measured straight at the tasks service (no gateway).
    direct: bool = False
    # wrk's connections, when not the benchmark's usual ones.
    connections: tuple[int, ...] = (1, 32)


def _list(room: UUID, query: str) -> str:
    return f"/rooms/{room}/tasks?limit=50{query}"


def _service_scenarios(room: UUID, prepared: Prepared, owner: str) -> list[Scenario]:
    """The other services' main reads, then their main writes (so the writes' events, handled
    after their answers, do not run under the reads), compared with the baseline's get."""
    api = "/api/v1"
    commented = prepared.task_ids[:COMMENTED_TASKS]
    written = prepared.task_ids[COMMENTED_TASKS:]
    kilobytes = FILE_BYTES // 1024
    found = {
        "comments-list": (
            f"comments: list a task's {COMMENTS_PER_TASK}",
            [Request("GET", f"{api}/tasks/{task}/comments", owner) for task in commented],
        ),
        "files-download": (
            f"files: download {kilobytes} KB",
            [Request("GET", f"{api}/files/{file}/content", owner) for file in prepared.file_ids],
        ),
        "notifications-inbox": (
            "notifications: inbox, first page",
            [Request("GET", f"{api}/notifications", owner)],
        ),
        "activity-room": (
            "activity: room feed, first page",
            [Request("GET", f"{api}/rooms/{room}/activity", owner)],
        ),
        "comments-create": (
            "comments: create one",
            [
                Request(
                    "POST", f"{api}/tasks/{task}/comments", owner, json.dumps({"body": f"#{n}"})
                )
                for n, task in enumerate(written)
            ],
        ),
        "files-upload": (
            f"files: upload {kilobytes} KB (multipart)",
            [
                Request(
                    "POST",
                    f"{api}/tasks/{task}/files",
                    owner,
                    upload_body(f"upload-{n}.txt"),
                    UPLOAD_TYPE,
                )
                for n, task in enumerate(written)
            ],
        ),
    }
    assert tuple(found) == SERVICE_KEYS
    return [
        Scenario(key, title, requests, compare_with="get-task")
        for key, (title, requests) in found.items()
    ]


def scenarios(
    seed: Seeded,
    tokens: list[str],
    *,
    page_cursor: str,
    baseline_cursor: str,
    prepared: Prepared | None = None,
) -> list[Scenario]:
    owner = tokens[0]
    room = seed.room_id
    today = datetime.now(UTC).date()
    start = today - timedelta(days=89)
    api = "/api/v1"
    lists = {
        "list-default": ("list 50, default sort", ""),
        "list-status": ("list 50, status filter", "&status=in_progress"),
        "list-deadline": ("list 50, deadline sort", "&sort=deadline"),
        "list-search": (f"list 50, text search ({SEARCH_WORD!r})", f"&q={SEARCH_WORD}"),
        "list-page20": (f"list 50, page {CURSOR_PAGE} by cursor", f"&cursor={page_cursor}"),
    }
    found = [
        Scenario(
            "get-task",
            "get one task",
            [Request("GET", f"{api}/tasks/{t}", owner) for t in seed.task_ids],
            baseline=[Request("GET", f"/tasks/{t}") for t in seed.task_ids],
            compare_with="get-task",
            direct=True,
        )
    ]
    for key, (title, query) in lists.items():
        baseline_query = f"&cursor={baseline_cursor}" if key == "list-page20" else query
        found.append(
            Scenario(
                key,
                title,
                [Request("GET", api + _list(room, query), owner)],
                baseline=[Request("GET", _list(room, baseline_query))],
                compare_with=key,
                direct=key == "list-default",
            )
        )
    statuses = ("in_progress", "completed", "pending")
    creates = [
        json.dumps({"title": f"Benchmark task {n}", "labels": ["bench"]}) for n in range(100)
    ]
    changes = [
        (task, json.dumps({"status": statuses[n % len(statuses)]}))
        for n, task in enumerate(seed.task_ids)
    ]
    found += [
        Scenario(
            "create-task",
            "create a task",
            [Request("POST", f"{api}/rooms/{room}/tasks", owner, body) for body in creates],
            baseline=[Request("POST", f"/rooms/{room}/tasks", body=body) for body in creates],
            baseline_locked=[
                Request("POST", f"/rooms/{room}/tasks/locked", body=body) for body in creates
            ],
            compare_with="create-task",
        ),
        Scenario(
            "change-status",
            "change a status",
            [Request("PATCH", f"{api}/tasks/{task}", owner, body) for task, body in changes],
            baseline=[Request("PATCH", f"/tasks/{task}", body=body) for task, body in changes],
            baseline_locked=[
                Request("PATCH", f"/tasks/{task}/locked", body=body) for task, body in changes
            ],
            compare_with="change-status",
        ),
        Scenario(
            "overview",
            "overview (profile, rooms, open tasks)",
            [Request("GET", f"{api}/overview", token) for token in tokens],
            compare_with="get-task",
        ),
        # The reports service's read model of the seeded room (filled from the tasks service
        # by its rebuild when it starts empty): the targets are a summary p99 under
        # 50 ms and a 90-day cumulative flow under 150 ms at 8 connections.
        Scenario(
            "report-summary",
            "reports: room summary",
            [Request("GET", f"{api}/rooms/{room}/reports/summary", owner)],
            compare_with="get-task",
            connections=REPORT_CONNECTIONS,
        ),
        Scenario(
            "report-flow",
            "reports: cumulative flow, 90 days",
            [
                Request(
                    "GET",
                    f"{api}/rooms/{room}/reports/cumulative-flow?from={start}&to={today}",
                    owner,
                )
            ],
            compare_with="get-task",
            connections=REPORT_CONNECTIONS,
        ),
        *(_service_scenarios(room, prepared, owner) if prepared else []),
        # Last: its argon2 backlog (32 hashes of ~0.13 s) must not spill into another run.
        Scenario(
            "login",
            "sign in (argon2id)",
            [
                Request(
                    "POST",
                    f"{api}/auth/login",
                    body=json.dumps({"username": name, "password": PASSWORD}),
                )
                for name in seed.usernames
            ],
            compare_with="get-task",
        ),
    ]
    return found
