"""The migrations that brought the counts, the flow sums and the summary's sums fill them
from a model already there: the same sums the rebuild and the feed write."""

import asyncio
import importlib.util
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, delete, select

from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.reports import queries
from tasksync.reports.models import Base, FlowSlot, MarkSlot, TaskCount

VERSIONS = Path(queries.__file__).parent / "migrations" / "versions"


def _migration(name: str) -> Any:
    path = next(VERSIONS.glob(f"*_{name}*.py"))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tasks(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rooms, start = [uuid7(), uuid7()], datetime(2026, 3, 1, tzinfo=UTC)
    tasks, moves = [], []
    for number in range(60):
        task_id, room_id = uuid7(), rooms[number % 2]
        at = start + timedelta(minutes=rng.randint(0, 20_000))
        statuses = ["pending", *rng.sample(["in_progress", "completed", "pending"], 2)]
        for version, status in enumerate(statuses, start=1):
            moves.append(
                {"task_id": task_id, "room_id": room_id, "version": version, "status": status}
                | {"at": at}
            )
            at += timedelta(minutes=rng.randint(0, 3_000))
        tasks.append(
            {
                "id": task_id,
                "room_id": room_id,
                "number": number + 1,
                "status": statuses[-1],
                "priority": rng.choice(["none", "high"]),
                "assignee_id": rng.choice([None, rooms[0]]),
                "created_at": start,
                "deadline": rng.choice([None, at]),
                "completed_at": at if statuses[-1] == "completed" else None,
                "versions": {},
                "deleted": False,
                "labels": [],
            }
        )
    return tasks, moves


SUMS = (TaskCount, FlowSlot, MarkSlot)


def _sums(url: str) -> list[list[Any]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [sorted(conn.execute(select(table.__table__)).all()) for table in SUMS]
    engine.dispose()
    return found


def test_the_migration_fills_the_sums_the_rebuild_writes(tmp_path: Path) -> None:
    path = tmp_path / "reports.db"

    async def rebuilt() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with db.sessionmaker.begin() as session:
            await queries.add_rebuilt(session, *_tasks(random.Random(18)))
        await db.engine.dispose()

    asyncio.run(rebuilt())
    written = _sums(f"sqlite:///{path}")
    assert [len(rows) > 4 for rows in written] == [True, True, True]
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for table in SUMS:
            conn.execute(delete(table))
        with Operations.context(MigrationContext.configure(conn)):
            _migration("flow_sums_per_quarter_hour")._fill_sums()
            _migration("summary_sums_per_quarter_hour")._fill_sums()
    engine.dispose()
    assert _sums(f"sqlite:///{path}") == written
