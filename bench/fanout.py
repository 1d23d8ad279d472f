"""What a write costs behind the API: from the commit of a task's status change to its effect
in every service that consumes it, on the distributed stack (a process per service, on
PostgreSQL and Redis), with writes at a steady rate and then a burst.

Each consumer records when it applied an event (`inbox.processed_at`, in the handler's
transaction); the tasks service, when the write committed (`outbox.created_at`, in the
write's transaction). Realtime is measured at a socket: a member's WebSocket in this
process, from the event's `occurred_at` to its arrival. All on one machine's clock.

1. Steady: status changes at 200 a second for 10 seconds, through the gateway.
2. Burst: 1,000 a second offered for 5 seconds (more than the stack can take: the writes
   are answered as fast as it can), then how long until every consumer has applied every
   event of the burst (target: within 10 s).

    .venv/bin/python -m bench.fanout [--steady 200] [--burst 1000]
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import websockets

from bench import report, stacks
from bench.report import replace_section, table
from bench.scenarios import seeded, sign_in

PORT = 18000
TASKS = 5_000
SEED = ["--users", "20", "--rooms", "1", "--tasks", str(TASKS)]
CONSUMERS = ("comments", "files", "notifications", "activity", "reports")
STATUSES = ("in_progress", "completed", "pending")
TARGET_P99_MS = 200
TARGET_DRAIN_S = 10
# Writes in flight at once at most (aiohttp's pool): past it, the offered rate is not met.
IN_FLIGHT = 64


def say(text: str) -> None:
    print(f"[fanout] {text}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Socket:
    """A member's live socket: when each event arrived, by event id."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.replace("http://", "ws://") + "/api/v1/live"
        self.token = token
        self.arrivals: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ready = asyncio.Event()
        self.task = asyncio.create_task(self._listen(ready))
        await asyncio.wait_for(ready.wait(), 30)

    async def _listen(self, ready: asyncio.Event) -> None:
        async with websockets.connect(self.url, max_size=2**22) as socket:
            await socket.send(orjson.dumps({"type": "auth", "token": self.token}).decode())
            async for raw in socket:
                message = orjson.loads(raw)
                if message.get("type") == "ready":
                    ready.set()
                elif message.get("type") == "event":
                    self.arrivals[message["event"]["id"]] = time.time()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def write_at(
    url: str, token: str, task_ids: list[Any], rate: float, seconds: float
) -> dict[str, Any]:
    """Status changes offered at `rate` a second for `seconds`: how many were answered, how
    fast, and the window they were written in."""
    latencies: list[float] = []
    errors: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    async with aiohttp.ClientSession(url, connector=connector, headers=headers) as http:

        async def change(n: int) -> None:
            body = orjson.dumps({"status": STATUSES[n // len(task_ids) % len(STATUSES)]})
            sent = time.perf_counter()
            async with http.patch(f"/api/v1/tasks/{task_ids[n % len(task_ids)]}", data=body) as r:
                await r.read()
                if r.status != 200:
                    errors[r.status] = errors.get(r.status, 0) + 1
            latencies.append((time.perf_counter() - sent) * 1000)

        began = time.time()
        started = time.perf_counter()
        writes = []
        for n in range(round(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            writes.append(asyncio.create_task(change(n)))
        offered_in = time.perf_counter() - started
        await asyncio.gather(*writes)
        took = time.perf_counter() - started
    return {
        "offered": len(writes),
        "offered_rate": rate,
        "offered_seconds": round(offered_in, 1),
        "answered_rate": round(len(writes) / took, 1),
        "errors": errors,
        "write_p50_ms": round(percentile(latencies, 0.5), 1),
        "write_p99_ms": round(percentile(latencies, 0.99), 1),
        "began": began,
        "ended": time.time(),
    }


async def committed(tasks_db: asyncpg.Connection, began: float, ended: float) -> dict:
    """The task.updated events committed in the window: event id -> commit time."""
    rows = await tasks_db.fetch(
        "SELECT event_id, created_at FROM outbox WHERE type = 'task.updated' "
        "AND created_at >= to_timestamp($1) AND created_at <= to_timestamp($2)",
        began,
        ended,
    )
    return {str(row["event_id"]): row["created_at"].timestamp() for row in rows}


async def applied(db: asyncpg.Connection, event_ids: list[str]) -> dict[str, float]:
    rows = await db.fetch(
        "SELECT event_id, processed_at FROM inbox WHERE event_id = ANY($1::uuid[])", event_ids
    )
    return {str(row["event_id"]): row["processed_at"].timestamp() for row in rows}


async def delays(
    dbs: dict[str, asyncpg.Connection], socket: Socket, events: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per consumer: how many of the events it applied, and the delay p50 / p99 / max."""
    ids = list(events)
    seen = {name: await applied(db, ids) for name, db in dbs.items()}
    seen["realtime (a socket)"] = {i: socket.arrivals[i] for i in ids if i in socket.arrivals}
    found = {}
    for name, times in seen.items():
        waited = [(times[i] - events[i]) * 1000 for i in ids if i in times]
        found[name] = {
            "applied": len(waited),
            "p50_ms": round(percentile(waited, 0.5), 1),
            "p99_ms": round(percentile(waited, 0.99), 1),
            "max_ms": round(max(waited), 1) if waited else 0.0,
        }
    return found


async def drained_after(
    dbs: dict[str, asyncpg.Connection], socket: Socket, events: dict[str, float], limit: float
) -> float | None:
    """Seconds until every consumer that takes these events has applied all of them."""
    ids = list(events)
    started = time.perf_counter()
    takers = [name for name, db in dbs.items() if await applied(db, ids[:1] + ids[-1:])]
    while time.perf_counter() - started < limit:
        counts = [len(await applied(dbs[name], ids)) for name in takers]
        if all(n == len(ids) for n in counts) and all(i in socket.arrivals for i in ids):
            return round(time.perf_counter() - started, 1)
        await asyncio.sleep(0.25)
    return None


def cpu_of(pids: dict[str, int]) -> dict[str, float]:
    return {name: stacks.cpu_seconds(pid) for name, pid in pids.items()}


def cpu_per_write(before: dict[str, float], pids: dict[str, int], writes: int) -> dict:
    """Milliseconds of CPU each process spent per write since `before`."""
    after = cpu_of(pids)
    return {name: round((after[name] - before[name]) * 1000 / writes, 2) for name in pids}


async def run(
    url: str, pids: dict[str, int], token: str, task_ids: list[Any], steady: float, burst: float
) -> dict:
    dbs = {name: await asyncpg.connect(stacks.database_dsn(name)) for name in CONSUMERS}
    tasks_db = await asyncpg.connect(stacks.database_dsn("tasks"))
    socket = Socket(url, token)
    await socket.start()
    try:
        say("warming up")
        await write_at(url, token, task_ids, 50, 2)
        await asyncio.sleep(3)
        say(f"steady: {steady:g} status changes a second for 10 s")
        cpu = cpu_of(pids)
        written = await write_at(url, token, task_ids, steady, 10)
        await asyncio.sleep(5)
        events = await committed(tasks_db, written["began"], written["ended"])
        steady_found = {"writes": written, "events": len(events)}
        steady_found["cpu_ms_per_write"] = cpu_per_write(cpu, pids, written["offered"])
        steady_found["consumers"] = await delays(dbs, socket, events)
        say(f"  {steady_found}")
        await asyncio.sleep(2)
        say(f"burst: {burst:g} offered a second for 5 s")
        written = await write_at(url, token, task_ids, burst, 5)
        events = await committed(tasks_db, written["began"], written["ended"])
        drain = await drained_after(dbs, socket, events, 60)
        burst_found = {"writes": written, "events": len(events), "drained_s": drain}
        burst_found["consumers"] = await delays(dbs, socket, events)
        say(f"  {burst_found}")
    finally:
        await socket.stop()
        for db in [*dbs.values(), tasks_db]:
            await db.close()
    return {"steady": steady_found, "burst": burst_found}


def document(results: dict[str, Any]) -> None:
    steady, burst = results["steady"], results["burst"]

    def rows(found: dict[str, Any]) -> list[list[object]]:
        return [
            [name, c["applied"], *(f"{c[key]:.0f}" for key in ("p50_ms", "p99_ms", "max_ms"))]
            for name, c in found["consumers"].items()
            if c["applied"]
        ]

    def writes(found: dict[str, Any]) -> str:
        w = found["writes"]
        return (
            f"{w['offered']} status changes offered at {w['offered_rate']:g}/s, answered at "
            f"{w['answered_rate']:g}/s (p50 {w['write_p50_ms']:.0f} ms, p99 "
            f"{w['write_p99_ms']:.0f} ms, errors by status: {w['errors'] or 'none'}); "
            f"{found['events']} events."
        )

    worst = max((c["p99_ms"] for c in steady["consumers"].values() if c["applied"]), default=0)
    drained = burst["drained_s"]
    lines = [
        f"Measured {results['when']} by `python -m bench.fanout`: the distributed stack on "
        f"PostgreSQL and Redis, {TASKS:,} tasks in one room, writes through the gateway from "
        "this process (aiohttp). Delay: from the write's commit (`outbox.created_at`) to the "
        "consumer's `inbox.processed_at`, or to the event's arrival at a member's socket.",
        "",
        *table(
            ["target", "goal", "measured", ""],
            [
                [
                    f"every consumer's p99 at {steady['writes']['offered_rate']:g} writes/s",
                    f"< {TARGET_P99_MS} ms",
                    f"{worst:.0f} ms",
                    "met" if worst < TARGET_P99_MS else "**missed**",
                ],
                [
                    f"lag after a burst offered at {burst['writes']['offered_rate']:g}/s drains",
                    f"< {TARGET_DRAIN_S} s",
                    f"{drained} s" if drained is not None else "not in 60 s",
                    "met" if drained is not None and drained < TARGET_DRAIN_S else "**missed**",
                ],
            ],
        ),
        "",
        f"Steady: {writes(steady)}",
        "",
        *table(["consumer", "events applied", "p50 ms", "p99 ms", "max ms"], rows(steady)),
        "",
        "CPU per write in the steady phase, by process (all of the phase's work, the events"
        " included, over the writes offered):",
        "",
        *table(
            ["process", "CPU ms per write"],
            [[name, f"{ms:.2f}"] for name, ms in steady["cpu_ms_per_write"].items()],
        ),
        "",
        f"Burst: {writes(burst)} Drained {drained} s after the last write was answered.",
        "",
        *table(["consumer", "events applied", "p50 ms", "p99 ms", "max ms"], rows(burst)),
    ]
    replace_section("fanout", ["## Fan-out: a write's effect in every consumer", "", *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steady", type=float, default=200.0)
    parser.add_argument("--burst", type=float, default=1000.0)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="tasksync-fanout-"))
    stacks.drop_bench_databases()
    say("seeding")
    subprocess.run(
        [sys.executable, "-m", "tasksync", "seed", *SEED],
        env=stacks.distributed_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stack = stacks.start_distributed(PORT, logs)
    try:
        data = seeded(500)
        token = sign_in(stack.url, data.usernames[:1])[0]
        pids = {name: pid for name, pid in stack.pids.items() if name != "supervisor"}
        found = asyncio.run(run(stack.url, pids, token, data.task_ids, args.steady, args.burst))
    finally:
        stack.stop()
        stacks.drop_bench_databases()
    results = {"when": report.stamp(), "machine": report.machine(), **found}
    report.save_results("fanout", results["when"], results)
    document(results)
    say(f"wrote docs/performance.md (logs in {logs})")


if __name__ == "__main__":
    main()
