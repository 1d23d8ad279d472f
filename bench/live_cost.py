"""What live updates cost the server: CPU time per delivered message and memory per idle
socket. The embedded stack (SQLite) is served in this process, so `time.process_time()` is
the server's CPU alone (load from other processes disturbs it far less than wall time); the
sockets are opened by bench/live_clients.py in another process.

    .venv/bin/python -m bench.live_cost [--sockets 1000] [--events 5] [--trace | --profile]

With `--profile`, cProfile prints where the pushes spend their time. With `--trace`,
tracemalloc compares the heap before and after the idle sockets opened and prints where the
memory per socket is held. Both slow everything down, so CPU figures then mean little.
"""

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import socket
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import uvloop

from bench import stacks
from bench.live import SOCKETS_PER_ACCOUNT, Clients, auth, gather_limited, room_with, sign_up
from tasksync import stack
from tasksync.cli.server import server_config
from tasksync.common.settings import HttpServerSettings

SETTLE = 3.0


def say(text: str) -> None:
    print(f"[live_cost] {text}", file=sys.stderr, flush=True)


async def serve(workdir: Path) -> tuple[str, uvicorn.Server, asyncio.Task[None]]:
    app = stack.build_embedded(
        data_dir=workdir / "data",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        registrations_per_address=1_000_000,
        join_attempts_per_user=1_000_000,
        log_level="warning",
        http_timeout=120,  # tracemalloc slows sign-in calls down a lot
    )
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    config = server_config(
        app,
        host="127.0.0.1",
        port=0,
        settings=HttpServerSettings(http_max_connections=20_000),
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        await asyncio.sleep(0.05)
    return f"http://127.0.0.1:{listening.getsockname()[1]}", server, task


async def updates(http: httpx.AsyncClient, owner: dict, task_id: str, count: int) -> float:
    """CPU seconds of this process while `count` task updates are made and pushed."""
    started = time.process_time()
    for number in range(count):
        await http.patch(
            f"/api/v1/tasks/{task_id}", json={"title": f"r{number}"}, headers=auth(owner)
        )
        await asyncio.sleep(SETTLE)
    return time.process_time() - started


async def measure(sockets: int, events: int, trace: bool, profiling: bool) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="tasksync-live-cost-"))
    url, server, serving = await serve(workdir)
    pid = stacks.os.getpid()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            accounts = max(1, sockets // SOCKETS_PER_ACCOUNT)
            say(f"signing up {accounts} accounts")
            people = await gather_limited([sign_up(http, f"cost{n}") for n in range(accounts)])
            owner = people[0]
            room = await room_with(http, owner, people[1:])
            created = await http.post(
                f"/api/v1/rooms/{room}/tasks", json={"title": "t"}, headers=auth(owner)
            )
            task_id = created.json()["id"]
            await updates(http, owner, task_id, events)  # warm-up: caches, sign-up events
            base_cpu = await updates(http, owner, task_id, events)
            gc.collect()
            if trace:
                tracemalloc.start(8)
            before = (stacks.rss_mb(pid), stacks.uss_mb(pid))
            snapshot = tracemalloc.take_snapshot() if trace else None
            plan = [{"token": p["token"]} for p in people for _ in range(SOCKETS_PER_ACCOUNT)]
            plan = plan[:sockets]
            say(f"opening {len(plan)} sockets")
            clients = await asyncio.to_thread(Clients, url, plan, workdir)
            await asyncio.sleep(SETTLE)
            gc.collect()
            after = (stacks.rss_mb(pid), stacks.uss_mb(pid))
            if snapshot is not None:
                top = tracemalloc.take_snapshot().compare_to(snapshot, "traceback")
                tracemalloc.stop()
                total = sum(stat.size_diff for stat in top)
                say(f"traced: {total / len(plan):.0f} bytes per socket")
                for stat in top[:40]:
                    frames = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in stat.traceback]
                    say(f"{stat.size_diff / len(plan):6.0f} B {' < '.join(frames[::-1][:5])}")
            profile = cProfile.Profile() if profiling else None
            if profile is not None:
                profile.enable()
            cpu = await updates(http, owner, task_id, events)
            if profile is not None:
                profile.disable()
                pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(30)
            figures = await asyncio.to_thread(clients.results)
    finally:
        server.should_exit = True
        await serving
    delivered = sum(len(v) for v in figures["latencies"].values())
    return {
        "sockets": len(plan),
        "events": events,
        "delivered": delivered,
        "closed": len(figures["closed"]),
        "cpu_s_without_sockets": round(base_cpu, 3),
        "cpu_s_with_sockets": round(cpu, 3),
        "cpu_us_per_message": round((cpu - base_cpu) / max(delivered, 1) * 1e6, 1),
        "rss_mb": [round(before[0], 1), round(after[0], 1)],
        "uss_mb": [round(before[1], 1), round(after[1], 1)],
        "rss_kb_per_socket": round((after[0] - before[0]) * 1024 / len(plan), 1),
        "uss_kb_per_socket": round((after[1] - before[1]) * 1024 / len(plan), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the pushes")
    args = parser.parse_args()
    uvloop.install()  # the event loop `tasksync up` serves on
    figures = asyncio.run(measure(args.sockets, args.events, args.trace, args.profile))
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
