"""The baseline: a bare FastAPI + uvicorn + raw asyncpg app on the tasks database.

It serves the benchmark's two reads, get one task by id and list 50 of a room (with the same
filters, sorts and keyset cursor as TaskSync's list), with no auth, no membership check, no
middleware and no ORM: the practical limit of Python on this machine for those queries.

    TASKSYNC_BASELINE_DSN=postgresql://... python -m uvicorn bench.baseline:app --port 18010
"""

import base64
import os
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
import orjson
from fastapi import FastAPI, Response

DSN = os.environ.get("TASKSYNC_BASELINE_DSN", "postgresql://postgres@127.0.0.1/tasksync_tasks")
COLUMNS = (
    "id, room_id, number, title, description, status, priority, deadline, assignee_id, "
    "labels, position, created_by, created_at, updated_at, completed_at, version"
)


@asynccontextmanager
async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
    app.state.pool = await asyncpg.create_pool(DSN, min_size=10, max_size=10)
    yield
    await app.state.pool.close()


# FastAPI's OpenTelemetry hooks are off, as in TaskSync's apps.
app = FastAPI(
    lifespan=lifespan,
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
    telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
)


def _json(body: object) -> Response:
    return Response(orjson.dumps(body, default=str), media_type="application/json")


def _task(row: asyncpg.Record) -> dict:
    task = dict(row)
    task["labels"] = orjson.loads(task["labels"])
    return task


@app.get("/tasks/{task_id}")
async def get_task(task_id: UUID) -> Response:
    row = await app.state.pool.fetchrow(f"SELECT {COLUMNS} FROM tasks WHERE id = $1", task_id)
    if row is None:
        return _json({"detail": "not found"})
    return _json(_task(row))


@app.get("/rooms/{room_id}/tasks")
async def list_tasks(
    room_id: UUID,
    status: str | None = None,
    sort: str = "number",
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Response:
    where, args = ["room_id = $1"], [room_id]
    if status:
        args.append(status)
        where.append(f"status = ${len(args)}")
    if q:
        args.append(f"%{q.lower()}%")
        where.append(f"(lower(title) LIKE ${len(args)} OR lower(description) LIKE ${len(args)})")
    if cursor:
        number, task_id = orjson.loads(base64.urlsafe_b64decode(cursor))
        args += [int(number), UUID(task_id)]
        where.append(f"(number, id) > (${len(args) - 1}::int, ${len(args)}::uuid)")
    order = "deadline IS NULL, deadline, id" if sort == "deadline" else "number, id"
    rows = await app.state.pool.fetch(
        f"SELECT {COLUMNS} FROM tasks WHERE {' AND '.join(where)} ORDER BY {order} "
        f"LIMIT {limit + 1}",
        *args,
    )
    items = [_task(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = base64.urlsafe_b64encode(
            orjson.dumps([last["number"], str(last["id"])])
        ).decode()
    return _json({"items": items, "next_cursor": next_cursor})
