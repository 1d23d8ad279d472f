"""Load-independent figures of the two benchmarked reports: a reports read model of 100,000
tasks in one room with 90 days of transitions, written by the rebuild's own code, then for the
summary and the 90-day cumulative flow: each statement's plan and buffers (EXPLAIN ANALYZE),
the database's execution time, and the service's CPU time per call (time.process_time).

    .venv/bin/python -m bench.report_queries            # PostgreSQL
    .venv/bin/python -m bench.report_queries --sqlite   # the embedded path
    .venv/bin/python -m bench.report_queries --keep     # keep the database; --reuse it next time

Unlike wrk's figures, none of these depend much on what else the machine is doing.
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select, text

from bench.stacks import POSTGRES
from tasksync.common.db import Database, drop_database, ensure_database
from tasksync.common.ids import uuid7
from tasksync.reports import queries, service
from tasksync.reports.figures import Days, local_day
from tasksync.reports.models import Base, Transition

TASKS, OTHER_ROOMS, OTHER_TASKS = 100_000, 2, 10_000
HISTORY_DAYS, FLOW_DAYS, BATCH, CALLS = 120, 90, 5_000, 15


def _task(rng: random.Random, room_id: UUID, number: int, now: datetime) -> tuple[dict, list]:
    """A task created in the last HISTORY_DAYS days; most started, about half completed,
    some reopened: its row and its transitions, as the rebuild writes them."""
    task_id = uuid7()
    created = now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
    moves = [(1, "pending", created)]
    at, version = created, 1
    for status in ("in_progress", "completed", "pending", "in_progress", "completed"):
        if rng.random() > (0.75 if status == "in_progress" else 0.6):
            break
        at += timedelta(seconds=rng.expovariate(1 / (3 * 86400)))
        if at >= now:
            break
        version += 1
        moves.append((version, status, at))
    status = moves[-1][1]
    started = [m_at for _, s, m_at in moves if s == "in_progress"]
    row = {
        "id": task_id,
        "room_id": room_id,
        "number": number,
        "title": f"Task {number}",
        "status": status,
        "priority": rng.choice(("none", "low", "medium", "high")),
        "assignee_id": None,
        "labels": [],
        "deadline": now + timedelta(days=rng.randint(-30, 90)) if rng.random() < 0.6 else None,
        "created_at": created,
        "started_at": min(started) if started else None,
        "completed_at": moves[-1][2] if status == "completed" else None,
        "versions": {"status": version},
        "deleted": False,
    }
    transitions = [
        {"task_id": task_id, "room_id": room_id, "version": v, "status": s, "at": m_at}
        for v, s, m_at in moves
    ]
    return row, transitions


async def seed(db: Database, now: datetime) -> UUID:
    rng = random.Random(18)
    assignees = [uuid7() for _ in range(20)] + [None]
    room_id = uuid7()
    rooms = [(room_id, TASKS)] + [(uuid7(), OTHER_TASKS) for _ in range(OTHER_ROOMS)]
    for room, count in rooms:
        for first in range(0, count, BATCH):
            built = [_task(rng, room, n + 1, now) for n in range(first, min(count, first + BATCH))]
            for row, _ in built:
                row["assignee_id"] = rng.choice(assignees)
            async with db.sessionmaker.begin() as session:
                await queries.add_rebuilt(
                    session, [row for row, _ in built], [m for _, moves in built for m in moves]
                )
    return room_id


async def _latest(db: Database) -> datetime:
    """The seeding's "now": the latest transition."""
    async with db.sessionmaker() as session:
        found = await session.scalar(select(func.max(Transition.at)))
    return found or datetime.now(UTC)


class Statements:
    """Every statement a block of code sends, with its parameters."""

    def __init__(self, db: Database) -> None:
        self.seen: list[tuple[str, Any]] = []
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self.seen.append((statement, params))


async def profile(db: Database, name: str, call: Any) -> None:
    cpu = []
    for _ in range(CALLS):
        async with db.sessionmaker() as session:
            started = time.process_time()
            await call(session)
            cpu.append((time.process_time() - started) * 1000)
    print(f"\n## {name}: service CPU {statistics.median(cpu):.1f} ms per call (median of {CALLS})")
    statements = Statements(db)
    async with db.sessionmaker() as session:
        await call(session)
    event.remove(db.engine.sync_engine, "before_cursor_execute", statements._seen)
    async with db.engine.connect() as conn:
        for statement, params in statements.seen:
            explain = "EXPLAIN (ANALYZE, BUFFERS) " if not db.is_sqlite else "EXPLAIN QUERY PLAN "
            print("\n" + " ".join(statement.split())[:400])
            rows = await conn.exec_driver_sql(explain + statement, params)
            for row in rows:
                print("   ", row[-1] if db.is_sqlite else row[0])


async def main(sqlite: bool, keep: bool, reuse: bool) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    if sqlite:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='tasksync-reports-')}/reports.db"
    else:
        url = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        url += "/tasksync_bench_report_queries"
    await drop_database(url)
    await ensure_database(url)
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        started = time.perf_counter()
        room_id = await seed(db, now)
        print(
            f"seeded {TASKS} + {OTHER_ROOMS * OTHER_TASKS} tasks in "
            f"{time.perf_counter() - started:.0f} s"
        )
        async with db.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                text("VACUUM ANALYZE" if not sqlite else "ANALYZE")
            )
        zone = ZoneInfo("UTC")
        today = local_day(now, zone)
        days = Days(today - timedelta(days=FLOW_DAYS - 1), today, zone)
        await profile(
            db,
            "summary",
            lambda s: service.summary(s, room_id=room_id, now=now, zone=zone),
        )
        await profile(
            db,
            f"cumulative flow, {FLOW_DAYS} days",
            lambda s: service.cumulative_flow(s, room_id=room_id, days=days),
        )
    finally:
        await db.close()
        if not keep:
            await drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument("--reuse", action="store_true", help="use the database kept before")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sqlite, arguments.keep, arguments.reuse))
