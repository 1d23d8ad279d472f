"""`tasksync up --distributed` on the local PostgreSQL and Redis: real processes, real HTTP,
a killed service, a killed replica, and nothing lost."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from bench import stacks
from tasksync import stack
from tasksync.common.db import drop_databases
from tasksync.common.redis_client import delete_prefixed
from tests.conftest import POSTGRES_URL, REDIS_URL

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True),
]


def _free_base_port() -> int:
    """A gateway port whose service ports (+1..+N) and replica ports (+101..+103) are free."""
    for _ in range(50):
        base = 20000 + (uuid.uuid4().int % 20000)
        offsets = (*range(1, len(stack.SERVICES) + 1), 101, 102, 103)
        ports = [base, *(base + n for n in offsets)]
        try:
            for port in ports:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range")


@dataclass
class Distributed:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def pids(self, service: str) -> list[int]:
        return [
            int(line.rsplit("pid ", 1)[1].rstrip(")"))
            for line in self.output().splitlines()
            if line.strip().startswith(f"{service} ") and "ready (pid" in line
        ]


def _wait_for(predicate, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def distributed(tmp_path: Path, backend_settings: dict) -> Iterator[Distributed]:
    port = _free_base_port()
    prefix = f"tasksync_e2e_{os.getpid()}"
    redis_prefix = f"{prefix}:{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSYNC_")}
    env |= {
        "TASKSYNC_DB_PREFIX": prefix,
        "TASKSYNC_REDIS_PREFIX": redis_prefix,
        "TASKSYNC_LOG_FORMAT": "json",
        "TASKSYNC_LOG_LEVEL": "warning",
        "TASKSYNC_ARGON2_MEMORY_KIB": "8192",
        "TASKSYNC_EVENT_VISIBILITY_TIMEOUT": "2",
    }
    log = tmp_path / "supervisor.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tasksync",
                "up",
                "--distributed",
                "--port",
                str(port),
                "--replicas",
                "tasks=2",
                "--postgres-url",
                POSTGRES_URL,
                "--redis-url",
                REDIS_URL,
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Distributed(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_for(
            lambda: (
                "TaskSync (distributed) is running" in running.output()
                or process.poll() is not None
            ),
            90,
            "the stack",
        )
        assert process.poll() is None, running.output()
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        forget_stack(prefix, redis_prefix)


def forget_stack(db_prefix: str, redis_prefix: str) -> None:
    """Drops a stack's databases and its keys in Redis."""

    async def forget() -> None:
        server = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        await drop_databases(f"{server}/{db_prefix}_{service}" for service in stack.SERVICES)
        redis = Redis.from_url(REDIS_URL)
        try:
            await delete_prefixed(redis, redis_prefix)
        finally:
            await redis.aclose()

    asyncio.run(forget())


def _signed_up(http: httpx.Client, name: str) -> dict[str, str]:
    assert (
        http.post(
            "/api/v1/auth/register", json={"username": name, "password": "long enough"}
        ).status_code
        == 201
    )
    token = http.post(
        "/api/v1/auth/login", json={"username": name, "password": "long enough"}
    ).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _eventually(check, seconds: float = 20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_the_core_flow_survives_killed_services(distributed: Distributed) -> None:
    # Every process is forked from one preloaded parent: the libraries they all import are
    # pages they share, not a copy each.
    pids = [pid for name in ["gateway", *stack.SERVICES] for pid in distributed.pids(name)]
    assert len(pids) == len(stack.SERVICES) + 2  # tasks runs twice
    parents = {stacks.parent_pid(pid) for pid in pids}
    assert len(parents) == 1, parents
    assert distributed.process.pid not in parents
    for pid in pids:
        rss, private = stacks.rss_mb(pid), stacks.uss_mb(pid)
        assert private < rss / 2, f"pid {pid}: {private:.0f} of {rss:.0f} MB its own"

    with httpx.Client(base_url=distributed.base, timeout=10) as http:
        health = http.get("/health").json()
        assert health["status"] == "ok", health
        ann, bob = _signed_up(http, "ann"), _signed_up(http, "bob")
        bob_id = http.get("/api/v1/users/me", headers=bob).json()["id"]

        room = http.post("/api/v1/rooms", json={"name": "Launch"}, headers=ann)
        assert room.status_code == 201, room.text
        room_id, code = room.json()["id"], room.json()["code"]
        assert http.post("/api/v1/rooms/join", json={"code": code}, headers=bob).status_code in (
            200,
            201,
        )

        created = http.post(
            f"/api/v1/rooms/{room_id}/tasks",
            json={"title": "Write the plan", "assignee_id": bob_id},
            headers=ann,
        )
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        moved = http.patch(f"/api/v1/tasks/{task_id}", json={"status": "in_progress"}, headers=bob)
        assert moved.status_code == 200, moved.text
        # The room's feed and the task's history tell the members, through the activity service.
        line = "bob moved #1 Write the plan from pending to in progress"
        assert _eventually(
            lambda: (
                line
                in [
                    e["summary"]
                    for e in http.get(f"/api/v1/rooms/{room_id}/activity", headers=ann).json()[
                        "items"
                    ]
                ]
            )
        )
        history = http.get(f"/api/v1/tasks/{task_id}/activity", headers=bob).json()["items"]
        assert [e["type"] for e in history] == ["task.updated", "task.created"]

        # Ann asks bob under the task and he answers: the comments service learns the task's
        # room from tasks' events (or asks), and tasks counts the comments from its events.
        asked = http.post(
            f"/api/v1/tasks/{task_id}/comments", json={"body": "Ready, @bob?"}, headers=ann
        )
        assert asked.status_code == 201, asked.text
        assert f"/users/{bob_id}" in asked.json()["body_html"]
        answered = http.post(
            f"/api/v1/tasks/{task_id}/comments",
            json={"body": "Yes", "parent_id": asked.json()["id"]},
            headers=bob,
        )
        assert answered.status_code == 201, answered.text
        assert _eventually(
            lambda: http.get(f"/api/v1/tasks/{task_id}", headers=ann).json()["comment_count"] == 2
        ), "tasks did not count the comments: a comment event was lost"

        # One of the two tasks replicas dies: requests keep succeeding through the other.
        first, _second = distributed.pids("tasks")
        os.kill(first, signal.SIGKILL)
        for _ in range(6):
            assert http.get(f"/api/v1/tasks/{task_id}", headers=ann).status_code == 200

        # Every tasks process dies: task routes answer 503, users and rooms keep working.
        for pid in distributed.pids("tasks"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        outage = http.get(f"/api/v1/tasks/{task_id}", headers=ann)
        assert outage.status_code == 503, outage.text
        assert outage.headers["content-type"].startswith("application/problem+json")
        assert http.get("/api/v1/users/me", headers=ann).status_code == 200
        # Bob leaves while tasks is down: the event waits in Redis for the restarted service.
        left = http.delete(f"/api/v1/rooms/{room_id}/members/{bob_id}", headers=bob)
        assert left.status_code in (200, 204), left.text

        assert _eventually(
            lambda: (
                "restarted" in distributed.output() and http.get("/health").json()["status"] == "ok"
            ),
            40,
        )
        task = _eventually(
            lambda: (
                (r := http.get(f"/api/v1/tasks/{task_id}", headers=ann)).status_code == 200
                and r.json()["assignee_id"] is None
                and r
            ),
            30,
        )
        assert task, "bob's assignment was not cleared after the restart: an event was lost"

        # The last member leaves: the room and its tasks are gone.
        ann_id = http.get("/api/v1/users/me", headers=ann).json()["id"]
        last = http.delete(f"/api/v1/rooms/{room_id}/members/{ann_id}", headers=ann)
        assert last.status_code in (200, 204), last.text
        assert _eventually(
            lambda: http.get(f"/api/v1/tasks/{task_id}", headers=ann).status_code == 404, 20
        )

    distributed.process.send_signal(signal.SIGINT)
    assert distributed.process.wait(timeout=30) == 0
    assert "Stopping" in distributed.output()
