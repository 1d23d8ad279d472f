"""Benchmark: events through outbox -> relay -> Redis Streams -> inbox, on PostgreSQL.

Two processes, as in production: this one writes events (each in its own committed
transaction, from concurrent writers) and runs the users service's relay; a child process
runs a consumer group that applies each event in its own database with the inbox. Figures:
events/s end to end, and the delay from the event's commit to its handler, at full speed and
paced at 1,000 events/s. Results go to bench/results/ and docs/performance.md.

    .venv/bin/python bench/events.py [--events 10000] [--writers 8]
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import Column, Float, MetaData, Table, Uuid

from tasksync.common import migrations
from tasksync.common.clock import utcnow
from tasksync.common.contracts.users import UserRegistered
from tasksync.common.db import Database, drop_database, new_metadata
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.events.inbox import EventApplier
from tasksync.common.events.outbox import lock_key, publish
from tasksync.common.events.redis_streams import RedisStreamsBus, StreamConsumer
from tasksync.common.events.relay import OutboxRelay
from tasksync.common.events.tables import add_event_tables
from tasksync.common.ids import uuid7
from tasksync.common.observability import configure_logging
from tasksync.users.models import event_tables as users_events

POSTGRES = os.environ.get("TASKSYNC_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TASKSYNC_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVER = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
PRODUCER_DB = f"{SERVER}/tasksync_bench_users"
CONSUMER_DB = f"{SERVER}/tasksync_bench_consumer"
ROOT = Path(__file__).resolve().parents[1]

consumer_metadata: MetaData = new_metadata()
consumer_tables = add_event_tables(consumer_metadata)
applied = Table(
    "applied", consumer_metadata, Column("event_id", Uuid, primary_key=True), Column("delay", Float)
)


async def consume(prefix: str, expected: int, out: Path) -> None:
    """Child process: one consumer of the group `bench`, until `expected` events applied."""
    db = await Database.open(CONSUMER_DB)
    async with db.engine.begin() as conn:
        await conn.run_sync(consumer_metadata.create_all)
    delays: list[float] = []
    handlers = EventHandlers("bench")

    @handlers.on(UserRegistered)
    async def record(session, event: Event[UserRegistered]) -> None:  # type: ignore[no-untyped-def]
        delay = (utcnow() - event.envelope.occurred_at).total_seconds()
        await session.execute(applied.insert().values(event_id=event.id, delay=delay))
        delays.append(delay)

    redis = Redis.from_url(REDIS)
    applier = EventApplier(db, consumer_tables, handlers)
    consumer = StreamConsumer(
        redis,
        prefix=prefix,
        group="bench",
        producers=frozenset({"users"}),
        apply=applier.apply,
        apply_batch=applier.apply_batch,
        dead_letter=lambda raw, error, n: applier.dead_letter(raw, error=error, attempts=n),
    )
    await consumer.ensure_groups()
    print("ready", flush=True)
    task = asyncio.create_task(consumer.run())
    while len(delays) < expected:
        await asyncio.sleep(0.01)
    finished = time.time()
    consumer.stop_soon()
    await task
    out.write_text(json.dumps({"delays": delays, "finished": finished}))
    await redis.aclose()
    await db.close()


async def produce(total: int, writers: int, rate: float | None, db: Database) -> float:
    """Commits `total` events, one per transaction; returns the time of the first commit."""
    per_writer = total // writers
    interval = writers / rate if rate else 0.0
    started = time.time()

    async def writer(w: int) -> None:
        for n in range(per_writer):
            async with db.sessionmaker() as session, session.begin():
                publish(
                    session, UserRegistered(user_id=uuid7(), username=f"w{w}-{n}", full_name=None)
                )
            if interval:
                await asyncio.sleep(max(0.0, started + (n + 1) * interval - time.time()))

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return started


async def run_once(total: int, writers: int, rate: float | None) -> dict[str, float]:
    prefix = f"tasksync_bench:{uuid7().hex[:8]}"
    for url in (PRODUCER_DB, CONSUMER_DB):
        await drop_database(url)
    db = await Database.open(PRODUCER_DB)
    await migrations.upgrade(db, "tasksync.users")
    db.events, db.outbox_lock = users_events, lock_key("users")
    out = ROOT / "bench" / "results" / f".consumer-{prefix.rsplit(':', 1)[1]}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen(  # noqa: ASYNC220 (started once, before any load)
        [sys.executable, __file__, "--consume", prefix, "--events", str(total), "--out", str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", "the consumer process did not start"
    redis = Redis.from_url(REDIS)
    relay = OutboxRelay(db, users_events, RedisStreamsBus(redis, prefix), service="users")
    db.on_outbox_commit = relay.wake
    relay_task = asyncio.create_task(relay.run())
    started = await produce(total, writers, rate, db)
    while child.poll() is None:
        await asyncio.sleep(0.05)
    relay.stop_soon()
    await relay_task
    result = json.loads(out.read_text())
    out.unlink()
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    await db.close()
    delays = sorted(result["delays"])
    return {
        "events": total,
        "events_per_second": round(total / (result["finished"] - started)),
        "p50_ms": round(statistics.median(delays) * 1000, 1),
        "p99_ms": round(delays[int(len(delays) * 0.99) - 1] * 1000, 1),
    }


def _row(name: str, run: dict[str, float]) -> str:
    return (
        f"| {name} | {run['events']} | {run['events_per_second']} "
        f"| {run['p50_ms']} ms | {run['p99_ms']} ms |"
    )


def write_report(full: dict[str, float], paced: dict[str, float]) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    machine = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    results = ROOT / "bench" / "results" / f"events-{stamp}.json"
    results.write_text(
        json.dumps({"machine": machine, "full_speed": full, "paced_1000": paced}, indent=2)
    )
    section = "\n".join(
        [
            "<!-- events:start -->",
            "## Event backbone",
            "",
            f"`bench/events.py`, {stamp}, {machine['cores']} cores, Python {machine['python']}:",
            "outbox -> relay -> Redis Streams -> inbox on PostgreSQL, producer and consumer in",
            "separate processes, one event per committed transaction. Delay is from the event's",
            "commit to its handler.",
            "",
            "| run | events | events/s | delay p50 | delay p99 |",
            "| --- | --- | --- | --- | --- |",
            _row("full speed", full),
            _row("paced at 1,000/s", paced),
            "<!-- events:end -->",
        ]
    )
    doc = ROOT / "docs" / "performance.md"
    text = (
        doc.read_text()
        if doc.exists()
        else "# Performance\n\nFigures measured by the benchmarks in `bench/`.\n"
    )
    if "<!-- events:start -->" in text:
        head, rest = text.split("<!-- events:start -->", 1)
        text = head + section + rest.split("<!-- events:end -->", 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text)
    return results


async def main(args: argparse.Namespace) -> None:
    print(f"Full speed: {args.events} events from {args.writers} writers...", flush=True)
    full = await run_once(args.events, args.writers, None)
    print(f"  {full}", flush=True)
    paced_events = max(1000, args.events // 2)
    print(f"Paced at 1,000 events/s: {paced_events} events...", flush=True)
    paced = await run_once(paced_events, args.writers, 1000.0)
    print(f"  {paced}", flush=True)
    results = write_report(full, paced)
    print(f"Wrote {results.relative_to(ROOT)} and docs/performance.md")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--consume", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    configure_logging("warning")
    if parsed.consume:
        asyncio.run(consume(parsed.consume, parsed.events, parsed.out))
    else:
        asyncio.run(main(parsed))
