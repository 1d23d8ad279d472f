"""What a service's database handle promises whatever the backend."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tasksync.common.db import Database
from tests.conftest import POSTGRES_URL

SECRET = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0$never-in-a-log"


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path, postgres_available: bool) -> Database:
    if request.param == "postgres":
        if not postgres_available:
            pytest.skip("PostgreSQL not reachable")
        url = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'secrets.db'}"
    database = Database(url, pool_size=3)
    yield database
    await database.close()


async def test_a_failed_statement_never_shows_its_parameters(db: Database) -> None:
    """The error text of a failed insert is what lands in the log of a 500."""
    async with db.engine.connect() as conn:
        await conn.execute(
            text("CREATE TEMPORARY TABLE accounts (name TEXT PRIMARY KEY, hash TEXT)")
        )
        insert = text("INSERT INTO accounts VALUES ('ann', :hash)")
        await conn.execute(insert, {"hash": SECRET})
        with pytest.raises(IntegrityError) as failure:
            await conn.execute(insert, {"hash": SECRET})
    assert "INSERT INTO accounts" in str(failure.value)
    assert SECRET not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)
