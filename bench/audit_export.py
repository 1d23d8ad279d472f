"""Benchmark: the audit export's memory does not grow with the audit.

A child process fills the activity database with N chained entries; another child streams
the whole export (CSV and NDJSON, as the route does) and reports its peak resident memory
before and after. Each size runs in a fresh process, so one run's peak cannot hide another's.

    .venv/bin/python -m bench.audit_export [--entries 100000] [--postgres-url URL]
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

from sqlalchemy import insert

from tasksync import stack
from tasksync.activity import export
from tasksync.activity.chain import GENESIS, entry_hash
from tasksync.activity.models import ChainHead, Entry
from tasksync.activity.queries import EntryFilter
from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.ids import uuid7

CHUNK = 5000


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    if args.postgres_url:
        return {"postgres_url": args.postgres_url, "db_prefix": "tasksync_bench_audit"}
    return {"data_dir": args.data_dir}


async def seed(settings: dict[str, Any], count: int) -> None:
    async with stack.migrated_database("activity", **settings) as db:
        async with db.engine.begin() as conn:
            await conn.execute(Entry.__table__.delete())
            await conn.execute(ChainHead.__table__.delete())
        previous, seq = GENESIS, 0
        while seq < count:
            rows = []
            for _ in range(min(CHUNK, count - seq)):
                seq += 1
                now = utcnow()
                row = {
                    "id": uuid7(),
                    "seq": seq,
                    "occurred_at": now,
                    "recorded_at": now,
                    "actor_id": uuid7(),
                    "actor_label": "ann",
                    "room_id": uuid7(),
                    "type": "task.updated",
                    "subject_type": "task",
                    "subject_id": uuid7(),
                    "subject_label": f"#{seq} =Budget, with a comma\nand a line break",
                    "changes": [{"field": "status", "old": "pending", "new": "in_progress"}],
                    "summary": f"ann moved #{seq} Budget from pending to in progress",
                }
                row["hash"] = previous = entry_hash(previous, row)
                rows.append(row)
            async with db.engine.begin() as conn:
                await conn.execute(insert(Entry), rows)
        async with db.engine.begin() as conn:
            await conn.execute(insert(ChainHead).values(id=1, seq=seq, hash=previous))


async def measure(settings: dict[str, Any], format: str) -> dict[str, Any]:
    db = await Database.open(stack.settings_for("activity", **settings).database_url("activity"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, size, lines = time.perf_counter(), 0, 0
    try:
        async for chunk in export.stream(
            db,
            format=format,
            where=EntryFilter(),
            batch_size=1000,  # type: ignore[arg-type]
        ):
            size += len(chunk)
            lines += chunk.count(b"\n")
    finally:
        await db.close()
    return {
        "format": format,
        "bytes": size,
        "lines": lines,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb_before": round(before / 1024, 1),
        "peak_rss_mb_after": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _child(args: argparse.Namespace, *extra: str) -> str:
    base = ["--data-dir", args.data_dir]
    if args.postgres_url:
        base += ["--postgres-url", args.postgres_url]
    done = subprocess.run(
        [sys.executable, "-m", "bench.audit_export", *base, *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data_dir = args.data_dir or tempfile.mkdtemp(prefix="tasksync-audit-bench-")
    settings = _settings(args)
    if args.seed is not None:
        asyncio.run(seed(settings, args.seed))
        return
    if args.measure is not None:
        print(json.dumps(asyncio.run(measure(settings, args.measure))))
        return
    for count in (args.entries // 10, args.entries):
        _child(args, "--seed", str(count))
        for format in ("csv", "ndjson"):
            result = json.loads(_child(args, "--measure", format))
            print(json.dumps({"entries": count, **result}))


if __name__ == "__main__":
    main()
