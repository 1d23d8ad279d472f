"""`tasksync seed`: realistic data, fast, for trying TaskSync out and for the benchmarks.

It writes each service's own tables directly in bulk (COPY on PostgreSQL), together with the
replicas the events would have built (rooms' known users, tasks' memberships and counters,
comments' memberships, accounts and task rooms), and publishes no events: seeding 100,000
tasks through the outbox would take minutes. Every seeded account has the password printed
at the end.
"""

import random
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Table, insert, text

from tasksync import stack
from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.common.ids import uuid7

PASSWORD = "tasksync-seed"
WORDS = (
    "plan",
    "review",
    "draft",
    "ship",
    "fix",
    "test",
    "write",
    "design",
    "call",
    "budget",
    "launch",
    "onboard",
    "migrate",
    "audit",
    "refactor",
    "invoice",
    "report",
    "sketch",
    "update",
    "prepare",
    "clean",
    "deploy",
    "measure",
    "hire",
    "sync",
)
STATUSES = ("pending",) * 5 + ("in_progress",) * 3 + ("completed",) * 2
PRIORITIES = {"none": 0, "low": 1, "medium": 2, "high": 3, "urgent": 4}
LABELS = ("bug", "feature", "ops", "docs", "design", "urgent", "backend", "frontend")
CHUNK = 5_000

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Seeded:
    usernames: list[str]
    room_ids: list[UUID]
    tasks: int
    comments: int = 0


async def _write(
    db: Database, table: Table, rows: Sequence[dict[str, Any]], progress: Progress
) -> None:
    """Bulk insert: COPY on PostgreSQL, chunked executemany on SQLite."""
    if not rows:
        return
    columns = list(rows[0])
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            for start in range(0, len(rows), CHUNK):
                await conn.execute(insert(table), list(rows[start : start + CHUNK]))
                progress(table.name, len(rows[start : start + CHUNK]))
            return
        raw = (await conn.get_raw_connection()).driver_connection
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            records = [tuple(_copyable(row[c]) for c in columns) for row in chunk]
            await raw.copy_records_to_table(table.name, records=records, columns=columns)
            progress(table.name, len(chunk))


def _copyable(value: Any) -> Any:
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else value


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


async def seed(
    overrides: dict[str, Any],
    *,
    users: int,
    rooms: int,
    tasks: int,
    progress: Progress,
    comments: int = 0,
    seed: int = 7,
) -> Seeded:
    from tasksync.comments import models as comments_models
    from tasksync.comments.markdown import render
    from tasksync.rooms import models as rooms_models
    from tasksync.rooms.service import CODE_ALPHABET
    from tasksync.tasks import models as tasks_models
    from tasksync.users import models as users_models
    from tasksync.users.passwords import PasswordHasher

    rng = random.Random(seed)
    now = utcnow()
    run = uuid7().hex[-6:]
    async with AsyncExitStack() as opened:
        dbs: dict[str, Database] = {
            name: await opened.enter_async_context(stack.migrated_database(name, **overrides))
            for name in ("users", "rooms", "tasks", "comments")
        }
        password_hash = await PasswordHasher(stack.settings_for("users", **overrides)).hash(
            PASSWORD
        )
        people = [
            {"id": uuid7(), "username": f"seed{run}-{n}", "full_name": f"Seed Person {n}"}
            for n in range(users)
        ]
        await _write(
            dbs["users"],
            users_models.User.__table__,
            [
                {
                    **p,
                    "username_key": p["username"].lower(),
                    "email": None,
                    "email_key": None,
                    "password_hash": password_hash,
                    "is_active": True,
                    "is_admin": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in people
            ],
            progress,
        )
        for service, known_users in (
            ("rooms", rooms_models.known_users),
            ("comments", comments_models.known_users),
        ):
            await _write(
                dbs[service],
                known_users.table,
                [
                    {**p, "username_key": p["username"].lower(), "is_active": True}
                    | {"updated_at": now}
                    for p in people
                ],
                progress,
            )

        room_rows, members = [], []
        for r in range(rooms):
            room_id = uuid7()
            room_rows.append(
                {
                    "id": room_id,
                    "name": f"{_sentence(rng, 2)} {r + 1}",
                    "description": None,
                    "code": "".join(rng.choice(CODE_ALPHABET) for _ in range(9)),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            crew = rng.sample(people, k=min(len(people), 8)) if people else []
            for place, person in enumerate(crew):
                role = (
                    "owner"
                    if place == 0
                    else ("admin" if place == 1 else rng.choice(("member", "member", "viewer")))
                )
                members.append(
                    {
                        "room_id": room_id,
                        "user_id": person["id"],
                        "role": role,
                        "joined_at": now + timedelta(microseconds=place),
                    }
                )
        await _write(dbs["rooms"], rooms_models.Room.__table__, room_rows, progress)
        await _write(dbs["rooms"], rooms_models.Membership.__table__, members, progress)
        for service, room_roles in (
            ("tasks", tasks_models.room_roles),
            ("comments", comments_models.room_roles),
        ):
            await _write(
                dbs[service],
                room_roles.table,
                [{k: m[k] for k in ("room_id", "user_id", "role")} for m in members],
                progress,
            )

        crews: dict[UUID, list[UUID]] = {}
        for m in members:
            crews.setdefault(m["room_id"], []).append(m["user_id"])
        task_rows, counters = [], {}
        for n in range(tasks):
            room = room_rows[n % rooms]["id"]
            number = counters.get(room, 0) + 1
            counters[room] = number
            status = rng.choice(STATUSES)
            priority = rng.choice(tuple(PRIORITIES))
            crew = crews.get(room, [])
            task_rows.append(
                {
                    "id": uuid7(),
                    "room_id": room,
                    "number": number,
                    "title": _sentence(rng, rng.randint(2, 6)),
                    "description": _sentence(rng, rng.randint(0, 30)),
                    "status": status,
                    "priority": priority,
                    "priority_rank": PRIORITIES[priority],
                    "deadline": now + timedelta(days=rng.randint(-30, 90))
                    if rng.random() < 0.7
                    else None,
                    "assignee_id": rng.choice(crew) if crew and rng.random() < 0.8 else None,
                    "labels": rng.sample(LABELS, k=rng.randint(0, 3)),
                    "position": float(number),
                    "created_by": crew[0] if crew else uuid7(),
                    "created_at": now,
                    "updated_at": now,
                    "completed_at": now if status == "completed" else None,
                    "comment_count": 0,
                    "version": 1,
                }
            )
        comment_rows = []
        for n in range(comments if task_rows else 0):
            task = task_rows[rng.randrange(len(task_rows))]
            task["comment_count"] += 1
            crew = crews.get(task["room_id"], [])
            body = _sentence(rng, rng.randint(3, 25))
            comment_rows.append(
                {
                    "id": uuid7(),
                    "task_id": task["id"],
                    "room_id": task["room_id"],
                    "parent_id": None,
                    "author_id": rng.choice(crew) if crew else None,
                    "body": body,
                    "body_html": render(body, {}).html,
                    "mentioned_user_ids": [],
                    "created_at": now + timedelta(microseconds=n),
                    "edited_at": None,
                    "deleted_at": None,
                    "version": 1,
                }
            )
        await _write(dbs["tasks"], tasks_models.Task.__table__, task_rows, progress)
        await _write(
            dbs["comments"],
            comments_models.task_rooms.table,
            [{"task_id": t["id"], "room_id": t["room_id"], "deleted_at": None} for t in task_rows],
            progress,
        )
        await _write(dbs["comments"], comments_models.Comment.__table__, comment_rows, progress)
        await _write(
            dbs["tasks"],
            tasks_models.RoomCounter.__table__,
            [{"room_id": room, "next": count} for room, count in counters.items()],
            progress,
        )
        for db in dbs.values():
            # Fresh statistics, or the planner takes a 100,000-task room for a small one.
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        return Seeded(
            [p["username"] for p in people],
            [r["id"] for r in room_rows],
            len(task_rows),
            len(comment_rows),
        )
