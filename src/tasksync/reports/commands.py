"""Operator commands of the reports service, run by the `tasksync reports ...` CLI."""

from tasksync.common.client import ServiceDirectory
from tasksync.common.db import Database
from tasksync.reports import queries, rebuild
from tasksync.reports.settings import ReportsSettings


async def rebuild_from_tasks(db: Database, settings: ReportsSettings) -> int:
    """Refills the read model from the tasks service (at its address in the settings);
    returns how many tasks it holds now."""
    services = ServiceDirectory(settings)
    try:
        return await rebuild.rebuild(db, services.client("tasks"), settings)
    finally:
        await services.close()


async def empty(db: Database) -> None:
    """Empties the read model: the service rebuilds it from the tasks service at its next
    start (the embedded mode's rebuild)."""
    async with db.sessionmaker.begin() as session:
        await queries.clear_model(session)
