"""The baseline: a bare FastAPI + uvicorn + raw asyncpg app on the tasks database.

It serves the benchmark's two reads, get one task by id and list 50 of a room (with the same
filters, sorts and keyset cursor as TaskSync's list), with no auth, no membership check, no
middleware and no ORM: the practical limit of Python on this machine for those queries.

And its two writes, each in one transaction with one outbox row, as TaskSync writes them:
create a task (the same columns, into a copy of `tasks` with its indexes)
and change a task's status (on the seeded `tasks`). Each comes bare (`/tasks`, `/status`) and
`locked`, taking what TaskSync's write takes: the room's counter row (the number's upsert, in
`baseline_counters`) held to COMMIT, and the outbox's commit-order advisory lock.

    TASKSYNC_BASELINE_DSN=postgresql://... python -m uvicorn bench.baseline:app --port 18010
"""

import base64
import os
import uuid
import zlib
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response

DSN = os.environ.get("TASKSYNC_BASELINE_DSN", "postgresql://postgres@127.0.0.1/tasksync_tasks")
COLUMNS = (
    "id, room_id, number, title, description, status, priority, deadline, assignee_id, "
    "labels, position, created_by, created_at, updated_at, completed_at, version"
)


# TaskSync's outbox lock of the tasks service (common/events/outbox.py: lock_key("tasks")).
OUTBOX_LOCK = zlib.crc32(b"tasksync.outbox.tasks")
WRITE_TABLES = """
CREATE TABLE IF NOT EXISTS baseline_tasks (LIKE tasks INCLUDING ALL);
CREATE TABLE IF NOT EXISTS baseline_locked_tasks (LIKE tasks INCLUDING ALL);
CREATE SEQUENCE IF NOT EXISTS baseline_numbers;
CREATE TABLE IF NOT EXISTS baseline_counters (LIKE room_counters INCLUDING ALL);
"""
INSERT_TASK = (
    "INSERT INTO {table} (id, room_id, number, title, description, status, priority, "
    "priority_rank, deadline, assignee_id, labels, position, created_by, created_at, "
    "updated_at, completed_at, started_at, comment_count, file_count, version) "
    "VALUES ($1, $2, $3, $4, '', 'pending', 'none', 0, NULL, NULL, $5, $8, $6, $7, $7, "
    "NULL, NULL, 0, 0, 1)"
)
NEXT_NUMBER = (
    "INSERT INTO baseline_counters (room_id, next, version) VALUES ($1, 1, 1) "
    "ON CONFLICT (room_id) DO UPDATE SET next = baseline_counters.next + 1, "
    "version = baseline_counters.version + 1 RETURNING next"
)
BUMP_VERSION = "UPDATE baseline_counters SET version = version + 1 WHERE room_id = $1"
SET_STATUS = (
    "UPDATE tasks SET status = $2, version = version + 1, updated_at = $3 "
    "WHERE id = $1 RETURNING room_id, number, version"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox (event_id, type, envelope, created_at, published_at) "
    "VALUES ($1, $2, $3, $4, now())"  # published: TaskSync's relay leaves it alone
)


@asynccontextmanager
async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
    app.state.pool = await asyncpg.create_pool(DSN, min_size=10, max_size=10)
    async with app.state.pool.acquire() as connection:
        await connection.execute(WRITE_TABLES)
    yield
    async with app.state.pool.acquire() as connection:
        await connection.execute(
            "DROP TABLE IF EXISTS baseline_tasks, baseline_locked_tasks, baseline_counters; "
            "DROP SEQUENCE IF EXISTS baseline_numbers"
        )
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


def _envelope(kind: str, room_id: UUID, now: datetime, data: dict) -> tuple[UUID, bytes]:
    event_id = uuid.uuid4()
    envelope = {
        "id": str(event_id),
        "type": kind,
        "version": 1,
        "occurred_at": now.isoformat(),
        "producer": "tasks",
        "actor_id": None,
        "room_id": str(room_id),
        "data": data,
    }
    return event_id, orjson.dumps(envelope, default=str)


async def _create(room_id: UUID, body: dict, *, locked: bool) -> Response:
    now = datetime.now(UTC)
    task_id = uuid.uuid4()
    labels = orjson.dumps(body.get("labels", [])).decode()
    async with app.state.pool.acquire() as connection, connection.transaction():
        if locked:
            number = await connection.fetchval(NEXT_NUMBER, room_id)
        else:
            number = await connection.fetchval("SELECT nextval('baseline_numbers')")
        await connection.execute(
            INSERT_TASK.format(table="baseline_locked_tasks" if locked else "baseline_tasks"),
            task_id,
            room_id,
            number,
            body["title"],
            labels,
            room_id,
            now,
            number,
        )
        data = {"task_id": str(task_id), "number": number, "title": body["title"]}
        event_id, envelope = _envelope("task.created", room_id, now, data)
        if locked:
            await connection.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_LOCK)
        await connection.execute(INSERT_OUTBOX, event_id, "task.created", envelope.decode(), now)
    return _json({"id": task_id, "room_id": room_id, "number": number, "title": body["title"]})


async def _set_status(task_id: UUID, body: dict, *, locked: bool) -> Response:
    now = datetime.now(UTC)
    async with app.state.pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(SET_STATUS, task_id, body["status"], now)
        if row is None:
            return _json({"detail": "not found"})
        data = {"task_id": str(task_id), "changes": {"status": body["status"]}}
        event_id, envelope = _envelope("task.updated", row["room_id"], now, data)
        if locked:
            await connection.execute(BUMP_VERSION, row["room_id"])
            await connection.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_LOCK)
        await connection.execute(INSERT_OUTBOX, event_id, "task.updated", envelope.decode(), now)
    return _json(dict(row))


@app.post("/rooms/{room_id}/tasks")
async def create_task(room_id: UUID, request: Request) -> Response:
    return await _create(room_id, orjson.loads(await request.body()), locked=False)


@app.post("/rooms/{room_id}/tasks/locked")
async def create_task_locked(room_id: UUID, request: Request) -> Response:
    return await _create(room_id, orjson.loads(await request.body()), locked=True)


@app.patch("/tasks/{task_id}")
async def change_status(task_id: UUID, request: Request) -> Response:
    return await _set_status(task_id, orjson.loads(await request.body()), locked=False)


@app.patch("/tasks/{task_id}/locked")
async def change_status_locked(task_id: UUID, request: Request) -> Response:
    return await _set_status(task_id, orjson.loads(await request.body()), locked=True)
