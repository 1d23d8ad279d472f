"""`tasksync reports rebuild` in embedded mode: the model is emptied, to be rebuilt at the
next start."""

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from tasksync import stack
from tasksync.cli.main import app
from tasksync.common.ids import uuid7
from tasksync.reports.models import ReportTask

runner = CliRunner()


async def rows(data_dir: Path, *, add: bool = False) -> int:
    async with stack.migrated_database("reports", data_dir=data_dir) as db:
        async with db.sessionmaker.begin() as session:
            if add:
                session.add(ReportTask(id=uuid7(), room_id=uuid7(), number=1, versions={}))
        async with db.sessionmaker() as session:
            return await session.scalar(select(func.count()).select_from(ReportTask)) or 0


def test_rebuild_in_embedded_mode_empties_the_model(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert asyncio.run(rows(data_dir, add=True)) == 1
    result = runner.invoke(app, ["reports", "rebuild", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "rebuilt when TaskSync starts" in result.output
    assert asyncio.run(rows(data_dir)) == 0
