"""Benchmark of live updates (/api/v1/live), on the embedded stack in its own process and a
load generator (bench/live_clients.py) in another, both on 127.0.0.1.

1. 5,000 sockets in one room (250 accounts, 20 sockets each): the delay from a task update's
   commit (its event's `occurred_at`, stamped in the committing transaction) to its arrival
   at every socket, p50 and p99 per round; the target is judged on the median of rounds.
2. Memory: the service's RSS before and with the 5,000 idle sockets, per socket.
3. Fan-out: 100 rooms of 50 sockets (each socket narrowed to one room), task updates written
   at a steady rate (`--rate`, 20 a second) for a few seconds: events and messages delivered
   per second, and the delay from commit to socket.

    .venv/bin/python -m bench.live [--rounds 10]
"""

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench import report, stacks
from bench.report import replace_section, table

PORT = 18530
ACCOUNTS = 250
SOCKETS_PER_ACCOUNT = 20
ROOMS = 100
ROOM_SIZE = 50
TARGET_P99_MS = 250
TARGET_KB_PER_SOCKET = 20
PASSWORD = "correct horse battery"


def say(text: str) -> None:
    print(f"[live] {text}", file=sys.stderr, flush=True)


async def sign_up(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    registered = await http.post(
        "/api/v1/auth/register", json={"username": name, "password": PASSWORD}
    )
    assert registered.status_code == 201, registered.text
    tokens = await http.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    return {"id": registered.json()["id"], "token": tokens.json()["access_token"]}


def auth(person: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {person['token']}"}


async def gather_limited(coros: list[Any], limit: int = 16) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def run(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(run(c) for c in coros))


async def room_with(http: httpx.AsyncClient, owner: dict, members: list[dict]) -> str:
    room = (await http.post("/api/v1/rooms", json={"name": "Bench"}, headers=auth(owner))).json()
    await gather_limited(
        [
            http.post("/api/v1/rooms/join", json={"code": room["code"]}, headers=auth(m))
            for m in members
        ]
    )
    return room["id"]


class Clients:
    """The load generator's process."""

    def __init__(self, url: str, sockets: list[dict[str, Any]], workdir: Path) -> None:
        plan = workdir / f"plan-{len(sockets)}-{time.monotonic_ns()}.json"
        live = url.replace("http://", "ws://") + "/api/v1/live"
        plan.write_text(json.dumps({"url": live, "sockets": sockets}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.live_clients", str(plan)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=stacks.ROOT,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if line != "connected":
            raise RuntimeError(f"the load generator did not connect: {line!r}")

    def results(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(b"stop\n")
        self.process.stdin.flush()
        figures = json.loads(self.process.stdout.readline())
        self.process.wait(timeout=60)
        return figures


async def quiet(url: str, token: str, *, silence: float = 3.0, limit: float = 180.0) -> None:
    """Waits until the room's setup events (a `member.added` per join) have all been pushed:
    on a busy machine they lag, and sockets opened before would each receive the backlog."""
    live = url.replace("http://", "ws://") + "/api/v1/live"
    deadline = time.monotonic() + limit
    async with websockets.connect(live, ping_interval=None) as socket:
        await socket.send(json.dumps({"type": "auth", "token": token}))
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(socket.recv(), silence)
            except TimeoutError:
                return


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def one_room(http: httpx.AsyncClient, url: str, pid: int, rounds: int, workdir: Path) -> dict:
    say(f"signing up {ACCOUNTS} accounts")
    people = await gather_limited([sign_up(http, f"live{n}") for n in range(ACCOUNTS)])
    owner = people[0]
    room = await room_with(http, owner, people[1:])
    task = (
        await http.post(f"/api/v1/rooms/{room}/tasks", json={"title": "t"}, headers=auth(owner))
    ).json()
    await quiet(url, owner["token"])
    gc.collect()
    before = stacks.rss_mb(pid)
    say(f"opening {ACCOUNTS * SOCKETS_PER_ACCOUNT} sockets")
    sockets = [{"token": p["token"]} for p in people for _ in range(SOCKETS_PER_ACCOUNT)]
    clients = Clients(url, sockets, workdir)
    await asyncio.sleep(3)
    with_sockets = stacks.rss_mb(pid)
    rows = []
    for number in range(rounds):
        await http.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": f"r{number}"}, headers=auth(owner)
        )
        await asyncio.sleep(2)
    figures = clients.results()
    for event_id, latencies in figures["latencies"].items():
        rows.append(
            {
                "event": event_id,
                "received": len(latencies),
                "p50_ms": percentile(latencies, 0.5),
                "p99_ms": percentile(latencies, 0.99),
                "max_ms": max(latencies),
            }
        )
    return {
        "sockets": len(sockets),
        "rounds": rows,
        "closed": figures["closed"],
        "rss_before_mb": before,
        "rss_with_sockets_mb": with_sockets,
        "kb_per_socket": (with_sockets - before) * 1024 / len(sockets),
    }


async def many_rooms(
    http: httpx.AsyncClient, url: str, seconds: float, rate: float, workdir: Path
) -> dict:
    say(f"{ROOMS} rooms of {ROOM_SIZE} sockets")
    people = await gather_limited([sign_up(http, f"fan{n}") for n in range(ROOM_SIZE)])
    owner = people[0]
    rooms = [await room_with(http, owner, people[1:]) for _ in range(ROOMS)]
    tasks = [
        (
            await http.post(f"/api/v1/rooms/{r}/tasks", json={"title": "t"}, headers=auth(owner))
        ).json()
        for r in rooms
    ]
    await quiet(url, owner["token"])  # the owner is in every room: all their joins pushed
    sockets = [{"token": p["token"], "room": r} for r in rooms for p in people]
    clients = Clients(url, sockets, workdir)
    written = 0

    async def write(n: int) -> None:
        nonlocal written
        task = tasks[n % len(tasks)]
        await http.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": f"w{n}"}, headers=auth(owner)
        )
        written += 1

    # Paced: past what the embedded stack's event pipeline carries, events queue before the
    # fan-out and the delays measure the queue, not the fan-out.
    started = time.monotonic()
    writes = []
    for n in range(round(rate * seconds)):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        writes.append(asyncio.create_task(write(n)))
    await asyncio.gather(*writes)
    await asyncio.sleep(5)  # let the fan-out drain
    figures = clients.results()
    arrivals = sorted(figures["arrivals"])
    span = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    delivered_events = sum(1 for v in figures["latencies"].values() if len(v) == ROOM_SIZE)
    all_latencies = [x for v in figures["latencies"].values() for x in v]
    return {
        "sockets": len(sockets),
        "written": written,
        "write_seconds": round(time.monotonic() - started - 5, 1),
        "rate": rate,
        "events_fully_delivered": delivered_events,
        "messages": len(arrivals),
        "messages_per_s": len(arrivals) / span if span else 0,
        "events_per_s": delivered_events / span if span else 0,
        "p50_ms": percentile(all_latencies, 0.5) if all_latencies else 0,
        "p99_ms": percentile(all_latencies, 0.99) if all_latencies else 0,
        "closed": figures["closed"],
    }


def document(results: dict) -> None:
    one, fan = results["one_room"], results["many_rooms"]
    p50s = [r["p50_ms"] for r in one["rounds"]]
    p99s = [r["p99_ms"] for r in one["rounds"]]
    median_p99 = statistics.median(p99s) if p99s else 0
    complete = all(r["received"] == one["sockets"] for r in one["rounds"])
    lines = [
        f"Measured {results['when']} by `python -m bench.live` on this machine "
        f"({results['machine']['cores']} cores, shared), the embedded stack (SQLite) in one "
        "process and the load generator in another, on 127.0.0.1.",
        "",
        *table(
            ["figure", "value", "target"],
            [
                [
                    f"commit -> every one of {one['sockets']} sockets in one room, p50 (median of "
                    f"{len(p50s)} rounds)",
                    f"{statistics.median(p50s):.0f} ms" if p50s else "-",
                    "",
                ],
                [
                    "same, p99 (median of rounds; worst round)",
                    f"{median_p99:.0f} ms ({max(p99s):.0f} ms)" if p99s else "-",
                    f"< {TARGET_P99_MS} ms " + ("met" if median_p99 < TARGET_P99_MS else "missed"),
                ],
                [
                    "every socket received every event",
                    "yes" if complete else "no",
                    "yes",
                ],
                [
                    "RSS: before / with the idle sockets",
                    f"{one['rss_before_mb']:.0f} MB / {one['rss_with_sockets_mb']:.0f} MB",
                    "",
                ],
                [
                    "memory per idle socket",
                    f"{one['kb_per_socket']:.1f} KB",
                    f"< {TARGET_KB_PER_SOCKET} KB "
                    + ("met" if one["kb_per_socket"] < TARGET_KB_PER_SOCKET else "missed"),
                ],
                [
                    f"fan-out, {ROOMS} rooms x {ROOM_SIZE} sockets: events/s fully delivered",
                    f"{fan['events_per_s']:.0f} ({fan['messages_per_s']:.0f} messages/s)",
                    "",
                ],
                [
                    "fan-out: commit -> socket p50 / p99 under that load",
                    f"{fan['p50_ms']:.0f} / {fan['p99_ms']:.0f} ms",
                    "",
                ],
            ],
        ),
        "",
        f"Fan-out writes: {fan['written']} task updates in {fan['write_seconds']} s, paced at "
        f"{fan['rate']:g} a second over the 100 rooms. Sockets closed during the runs: "
        f"{len(one['closed']) + len(fan['closed'])}.",
    ]
    replace_section("live", ["## Live updates", "", *lines])


def start_server(workdir: Path) -> stacks.Running:
    """The embedded stack in its own process, with cheap password hashing and no sign-up or
    join limits (the benchmark signs up hundreds of accounts from one address)."""
    env = stacks.clean_env(
        TASKSYNC_ARGON2_TIME_COST="1",
        TASKSYNC_ARGON2_MEMORY_KIB="1024",
        TASKSYNC_ARGON2_PARALLELISM="1",
        TASKSYNC_REGISTRATIONS_PER_ADDRESS="1000000",
        TASKSYNC_JOIN_ATTEMPTS_PER_USER="1000000",
        # The fan-out phase narrows each of an account's sockets to one of its 100 rooms.
        TASKSYNC_LIVE_CONNECTIONS_PER_USER=str(ROOMS),
        TASKSYNC_LOG_LEVEL="warning",
        # 5,000 sockets and the HTTP connections beside them, above the default 4,096.
        TASKSYNC_HTTP_MAX_CONNECTIONS="20000",
    )
    log = workdir / "embedded.log"
    command = [sys.executable, "-m", "tasksync", "up", "--port", str(PORT)]
    with log.open("wb") as sink:
        popen = subprocess.Popen(
            [*command, "--data-dir", str(workdir / "data")],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=stacks.ROOT,
        )
    server = stacks.Running("embedded", f"http://127.0.0.1:{PORT}", popen, log, 0.0)
    stacks.wait_http(f"{server.url}/ready", timeout=60, process=popen)
    return server


async def run(
    server: stacks.Running, workdir: Path, rounds: int, seconds: float, rate: float
) -> dict:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        one = await one_room(http, server.url, server.popen.pid, rounds, workdir)
        say(json.dumps({k: v for k, v in one.items() if k != "rounds"}))
        say(
            json.dumps(
                [[round(r["p50_ms"]), round(r["p99_ms"]), r["received"]] for r in one["rounds"]]
            )
        )
        fan = await many_rooms(http, server.url, seconds, rate, workdir)
    return {"when": report.stamp(), "machine": report.machine(), "one_room": one, "many_rooms": fan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="fan-out task updates a second")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tasksync-live-"))
    server = start_server(workdir)
    try:
        results = asyncio.run(run(server, workdir, args.rounds, args.seconds, args.rate))
    finally:
        server.stop()
    report.save_results("live", results["when"], results)
    document(results)
    say(json.dumps({k: v for k, v in results["one_room"].items() if k != "rounds"}, indent=1))
    say(json.dumps(results["many_rooms"], indent=1))


if __name__ == "__main__":
    main()
