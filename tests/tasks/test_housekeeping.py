"""Expired idempotency keys are forgotten by the tasks service's periodic housekeeping."""

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tasksync import stack
from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.ids import uuid7
from tasksync.tasks.models import idempotency_keys


async def _keys(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return list(
            await conn.scalars(select(idempotency_keys.c.key).order_by(idempotency_keys.c.key))
        )


async def test_expired_idempotency_keys_are_pruned_while_fresh_ones_stay(
    settings: dict[str, Any],
) -> None:
    db = await Database.open(stack.settings_for("tasks", **settings).database_url("tasks"))
    try:
        row = {"user_id": uuid7(), "fingerprint": "f" * 64, "status": 201, "body": {}}
        async with db.engine.begin() as conn:
            await conn.execute(
                idempotency_keys.insert(),
                [
                    {**row, "key": "expired", "created_at": utcnow() - timedelta(days=2)},
                    {**row, "key": "fresh", "created_at": utcnow()},
                ],
            )
        app = stack.build_embedded(**settings)
        async with app.router.lifespan_context(app):  # housekeeping runs once at start
            tasks_db = app.state.mounted["tasks"].state.kit.db
            for _ in range(50):
                if await _keys(tasks_db) == ["fresh"]:
                    break
                await asyncio.sleep(0.05)
        assert await _keys(db) == ["fresh"]
        async with db.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(idempotency_keys)) == 1
    finally:
        await db.close()
