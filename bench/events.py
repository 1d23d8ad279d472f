"""Benchmark: events through outbox -> relay -> Redis Streams -> inbox, on PostgreSQL.

Two processes, as in production: this one writes events (each in its own committed
transaction, from concurrent writers) and runs the users service's relay; a child process
runs a consumer group that applies each event in its own database with the inbox. Figures:
events/s end to end, and the delay from the event's commit to its handler, at full speed and
paced at 1,000 events/s (one event per transaction, and ten). Results go to bench/results/
and docs/performance.md.

    .venv/bin/python -m bench.events [--events 10000] [--writers 8]
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import Column, Float, MetaData, Table, Uuid

from bench import report
from tasksync.common import migrations
from tasksync.common.clock import utcnow
from tasksync.common.db import Database, drop_database, new_metadata
from tasksync.common.events.catalog import Event
from tasksync.common.events.handlers import EventHandlers
from tasksync.common.events.inbox import EventApplier
from tasksync.common.events.outbox import Outbox, publish
from tasksync.common.events.redis_streams import RedisStreamsBus, StreamConsumer
from tasksync.common.events.relay import OutboxRelay
from tasksync.common.events.tables import add_event_tables
from tasksync.common.ids import uuid7
from tasksync.common.observability import configure_logging
from tasksync.common.redis_client import delete_prefixed
from tasksync.contracts.users import UserRegistered
from tasksync.users.models import Base as users_base
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


async def produce(
    total: int, writers: int, rate: float | None, db: Database, per_transaction: int = 1
) -> float:
    """Commits `total` events, `per_transaction` in each transaction; returns the time of the
    first commit."""
    transactions = total // writers // per_transaction
    interval = writers * per_transaction / rate if rate else 0.0
    started = time.time()

    async def writer(w: int) -> None:
        for n in range(transactions):
            async with db.sessionmaker() as session, session.begin():
                for k in range(per_transaction):
                    publish(
                        session,
                        UserRegistered(user_id=uuid7(), username=f"w{w}-{n}-{k}", full_name=None),
                    )
            if interval:
                await asyncio.sleep(max(0.0, started + (n + 1) * interval - time.time()))

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return started


async def run_once(
    total: int, writers: int, rate: float | None, per_transaction: int = 1
) -> dict[str, float]:
    total -= total % (writers * per_transaction)  # every writer commits whole transactions
    prefix = f"tasksync_bench:{uuid7().hex[:8]}"
    for url in (PRODUCER_DB, CONSUMER_DB):
        await drop_database(url)
    db = await Database.open(PRODUCER_DB, outbox=Outbox(users_events.outbox, service="users"))
    await migrations.upgrade(db, "tasksync.users", users_base.metadata)
    out = ROOT / "bench" / "results" / f".consumer-{prefix.rsplit(':', 1)[1]}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen(  # noqa: ASYNC220 (started once, before any load)
        [
            *(sys.executable, "-m", "bench.events", "--consume", prefix),
            *("--events", str(total), "--out", str(out)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", "the consumer process did not start"
    redis = Redis.from_url(REDIS)
    relay = OutboxRelay(db, users_events, RedisStreamsBus(redis, prefix), service="users")
    db.outbox.on_commit(relay.wake)
    relay_task = asyncio.create_task(relay.run())
    started = await produce(total, writers, rate, db, per_transaction)
    while child.poll() is None:
        await asyncio.sleep(0.05)
    relay.stop_soon()
    await relay_task
    result = json.loads(out.read_text())
    out.unlink()
    await delete_prefixed(redis, prefix)
    await redis.aclose()
    await db.close()
    for url in (PRODUCER_DB, CONSUMER_DB):
        await drop_database(url)
    delays = sorted(result["delays"])
    return {
        "per_transaction": per_transaction,
        "events": total,
        "events_per_second": round(total / (result["finished"] - started)),
        "p50_ms": round(statistics.median(delays) * 1000, 1),
        "p99_ms": round(delays[int(len(delays) * 0.99) - 1] * 1000, 1),
    }


def _row(name: str, run: dict[str, float]) -> list[object]:
    return [
        name,
        run["per_transaction"],
        run["events"],
        run["events_per_second"],
        f"{run['p50_ms']} ms",
        f"{run['p99_ms']} ms",
    ]


def write_report(runs: dict[str, dict[str, float]]) -> Path:
    when = report.stamp()
    machine = report.machine()
    results = report.save_results("events", when, {"machine": machine, **runs})
    report.replace_section(
        "events",
        [
            "## Event backbone",
            "",
            f"`python -m bench.events`, {when}, {machine['cores']} cores, "
            f"Python {machine['python']}: outbox -> relay -> Redis Streams -> inbox on "
            "PostgreSQL, producer and consumer in separate processes. Delay is from the "
            "event's commit to its handler.",
            "",
            *report.table(
                ["run", "events per transaction", "events", "events/s", "delay p50", "delay p99"],
                [_row(name, run) for name, run in runs.items()],
            ),
        ],
    )
    return results


async def main(args: argparse.Namespace) -> None:
    plans = {
        "full speed": (args.events, None, 1),
        "paced at 1,000/s": (max(1000, args.events // 2), 1000.0, 1),
        "paced at 1,000/s, batched": (max(1000, args.events // 2), 1000.0, 10),
    }
    runs = {}
    for name, (total, rate, per_transaction) in plans.items():
        print(f"{name}: {total} events, {per_transaction} per transaction...", flush=True)
        runs[name] = await run_once(total, args.writers, rate, per_transaction)
        print(f"  {runs[name]}", flush=True)
    results = write_report(runs)
    print(f"Wrote {results.relative_to(report.ROOT)} and docs/performance.md")


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
