"""Rebuilding the read model from the tasks service: on a fresh install over existing data,
after the reports database was lost (`tasksync reports rebuild`), and by itself at start when
the model is empty and tasks exist.

The tasks service keeps each task's facts, its creation, its first move to in progress and
its last completion, not every move in between. A rebuilt task therefore has the transitions
created -> pending, started -> in progress, and completed (or, for a task moved back to
pending, pending again at its last update). Every report reads the same from them as from
the events, except the cumulative flow and burndown of days between moves the tasks service
no longer knows (a task reopened and completed again, before the rebuild).

A rebuilt row remembers the task version it was read at (`versions["_rebuilt"]`): events of
that version or older still in flight add nothing; newer ones apply as usual.
"""

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from tasksync.common.client import ServiceClient
from tasksync.common.db import Database
from tasksync.common.kit import Kit
from tasksync.contracts.tasks import Status
from tasksync.reports import feed, queries
from tasksync.reports.runtime import ReportsRuntime
from tasksync.reports.settings import ReportsSettings

log = structlog.get_logger("tasksync.reports.rebuild")
SNAPSHOT = "/internal/tasks/snapshot"
# Versions of synthesized transitions: below every real task version (1 and up).
STARTED, REOPENED, COMPLETED = -3, -2, -1


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def rows_of(item: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One task of the snapshot as a row of the model and its transitions."""
    task_id, room_id, version = UUID(item["id"]), UUID(item["room_id"]), item["version"]
    created, started = _time(item["created_at"]), _time(item["started_at"])
    completed = _time(item["completed_at"])
    status = item["status"]
    moves = [(feed.CREATED_VERSION, Status.pending.value, created)]
    if started is not None:
        moves.append((STARTED, Status.in_progress.value, started))
    if status == Status.completed.value and completed is not None:
        moves.append((COMPLETED, status, completed))
    elif status == Status.pending.value and started is not None:
        moves.append((REOPENED, status, _time(item["updated_at"])))
    elif status == Status.in_progress.value and started is None:
        moves.append((STARTED, status, _time(item["updated_at"])))
    row = {
        "id": task_id,
        "room_id": room_id,
        "number": item["number"],
        "title": item["title"],
        "status": status,
        "priority": item["priority"],
        "assignee_id": UUID(item["assignee_id"]) if item["assignee_id"] else None,
        "labels": list(item["labels"] or []),
        "deadline": _time(item["deadline"]),
        "created_at": created,
        "started_at": min(
            (at for _, s, at in moves if s == Status.in_progress.value), default=None
        ),
        "completed_at": completed if status == Status.completed.value else None,
        "versions": {**dict.fromkeys(feed.FACTS, version), feed.REBUILT: version},
        "deleted": False,
    }
    transitions = [
        {"task_id": task_id, "room_id": room_id, "version": v, "status": s, "at": at}
        for v, s, at in moves
    ]
    return row, transitions


async def _page(
    tasks: ServiceClient, *, after: str | None, limit: int, token: str | None
) -> dict[str, Any]:
    params = {"limit": limit, **({"after": after} if after else {})}
    response = await tasks.get(SNAPSHOT, params=params, token=token)
    if not response.ok:
        raise RuntimeError(f"The tasks service answered {response.status} to {SNAPSHOT}.")
    return response.json()


def _token(settings: ReportsSettings) -> str | None:
    return settings.metrics_token.get_secret_value() if settings.metrics_token else None


async def rebuild(db: Database, tasks: ServiceClient, settings: ReportsSettings) -> int:
    """Empties the model and fills it from the tasks service; returns how many tasks."""
    async with db.sessionmaker.begin() as session:
        await queries.clear_model(session)
    count, after = 0, None
    while True:
        page = await _page(
            tasks, after=after, limit=settings.reports_rebuild_page, token=_token(settings)
        )
        built = [rows_of(item) for item in page["items"]]
        async with db.sessionmaker.begin() as session:
            await queries.add_rebuilt(
                session, [row for row, _ in built], [m for _, moves in built for m in moves]
            )
        count += len(built)
        after = page["next"]
        if after is None:
            await queries.tidy(db)
            return count


async def when_empty(kit: Kit, runtime: ReportsRuntime, *, attempts: int = 10) -> None:
    """At start: rebuilds when the model has no task and the tasks service has some. The
    tasks service may be starting too: it is asked again, a little later each time."""
    tasks = kit.services.client("tasks")
    for attempt in range(attempts):
        try:
            async with kit.db.sessionmaker() as session:
                if await queries.has_tasks(session):
                    return
            page = await _page(tasks, after=None, limit=1, token=_token(runtime.settings))
            if page["items"]:
                count = await rebuild(kit.db, tasks, runtime.settings)
                log.info("reports_rebuilt", tasks=count)
            return
        except Exception as exc:
            log.info("reports_rebuild_waiting", attempt=attempt + 1, error=str(exc))
            await asyncio.sleep(min(2**attempt, 30))
