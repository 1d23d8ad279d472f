"""Requests take turns for a service's connections, first come first served."""

import asyncio
from pathlib import Path

from sqlalchemy import text

from tasksync.common.db import RESERVED_CONNECTIONS, Database


async def test_waiting_readers_get_a_connection_in_the_order_they_asked(tmp_path: Path) -> None:
    db = Database(
        f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}", pool_size=RESERVED_CONNECTIONS + 1
    )
    served: list[int] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def read(n: int) -> None:
        async with db.reading() as connection:
            await connection.execute(text("SELECT 1"))
            served.append(n)
            if n == 0:
                first_in.set()
                await release.wait()

    try:
        holder = asyncio.create_task(read(0))
        await first_in.wait()
        waiting = []
        for n in range(1, 6):
            waiting.append(asyncio.create_task(read(n)))
            await asyncio.sleep(0.01)  # each one asks after the one before
        assert served == [0]  # one turn: the others wait while it is held
        release.set()
        await asyncio.gather(holder, *waiting)
        assert served == [0, 1, 2, 3, 4, 5]
    finally:
        await db.close()
