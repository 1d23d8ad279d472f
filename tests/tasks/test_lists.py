"""Task lists: filters, sort orders and keyset pagination."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from tasksync.common.db import Database
from tasksync.contracts.tasks import PRIORITY_RANK, Priority, Status
from tasksync.tasks.models import Task, room_roles
from tests.helpers.builders import Person, signed_up
from tests.helpers.rooms import RoleRoom, create_room
from tests.helpers.tasks import all_pages, create_task


def _titles(items: list[dict[str, Any]]) -> list[str]:
    return [item["title"] for item in items]


class TestFilters:
    async def test_each_filter_keeps_only_matching_tasks(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        make = [
            ("late", {"deadline": past, "assignee_id": room.member.id, "labels": ["Bug"]}),
            ("late but done", {"deadline": past, "status": "completed"}),
            ("soon", {"deadline": soon, "priority": "urgent", "labels": ["bug", "ui"]}),
            ("later", {"deadline": later, "status": "in_progress", "priority": "low"}),
            ("no deadline", {"description": "Fix 100% of the_widgets", "labels": ["bugs"]}),
        ]
        for title, fields in make:
            await create_task(client, room.owner, room.id, title, **fields)
        path = f"/api/v1/rooms/{room.id}/tasks"

        async def titles(**params: Any) -> set[str]:
            items = await all_pages(client, room.member, path, **params)
            # The column counts of a board: the same filters, tallied per status.
            counts = await client.get(f"{path}/counts", params=params, headers=room.member.headers)
            assert counts.status_code == 200, counts.text
            assert counts.json() == {s: sum(t["status"] == s for t in items) for s in Status}
            return set(_titles(items))

        assert await titles() == {title for title, _ in make}
        assert await titles(status=["pending", "in progress"]) == {
            "late",
            "soon",
            "later",
            "no deadline",
        }
        assert await titles(assignee="me") == {"late"}
        assert await titles(assignee=room.member.id) == {"late"}
        assert await titles(assignee="none") == {"late but done", "soon", "later", "no deadline"}
        assert await titles(label="bug") == {"late", "soon"}
        assert await titles(label="BUGS") == {"no deadline"}
        assert await titles(priority=["urgent", "low"]) == {"soon", "later"}
        assert await titles(overdue="true") == {"late"}
        assert "late" not in await titles(overdue="false")
        assert await titles(due_before=soon) == {"late", "late but done"}
        assert await titles(due_after=soon) == {"soon", "later"}
        assert await titles(q="LATE") == {"late", "late but done", "later"}
        assert await titles(q="100%") == {"no deadline"}
        assert await titles(q="_w") == {"no deadline"}
        assert await titles(q="0%x") == set()
        assert await titles(number=3) == {"soon"}
        assert await titles(number=99) == set()

        # Counts follow a write at once (they are cached under the room's version).
        await create_task(client, room.owner, room.id, "one more", status="completed")
        assert (await client.get(f"{path}/counts", headers=room.viewer.headers)).json() == {
            "pending": 3,
            "in_progress": 1,
            "completed": 2,
        }
        outsider = await client.get(f"{path}/counts", headers=room.outsider.headers)
        assert outsider.status_code == 404
        for query in ("priority=huge", f"number={2**31}"):
            for route in (path, f"{path}/counts"):
                bad = await client.get(f"{route}?{query}", headers=room.member.headers)
                assert bad.status_code == 422, (route, query, bad.text)
                assert bad.headers["content-type"] == "application/problem+json"

    async def test_my_tasks_default_to_open_ones_assigned_to_me_in_every_room(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        other = await create_task(client, room.member, room.id, "other", assignee_id=room.owner.id)
        for title, fields in [
            ("open", {}),
            ("started", {"status": "in_progress"}),
            ("done", {"status": "completed"}),
        ]:
            await create_task(
                client, room.owner, room.id, title, assignee_id=room.member.id, **fields
            )
        await create_task(client, room.owner, room.id, "nobody's")
        second = await create_room(client, room.member, "Second")
        await create_task(
            client, room.member, second["id"], "elsewhere", assignee_id=room.member.id
        )
        mine = await all_pages(client, room.member, "/api/v1/tasks")
        assert set(_titles(mine)) == {"open", "started", "elsewhere"}
        done = await all_pages(client, room.member, "/api/v1/tasks", status="completed")
        assert _titles(done) == ["done"]
        anyone = await all_pages(client, room.member, "/api/v1/tasks", assignee="any")
        assert set(_titles(anyone)) == {"open", "started", "elsewhere", "other", "nobody's"}
        assert other["id"] in {t["id"] for t in anyone}


class TestSorting:
    async def test_priority_sorts_by_rank_and_deadline_puts_missing_ones_last(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for priority, deadline in [
            ("low", None),
            ("urgent", "2031-01-01T00:00:00Z"),
            ("none", "2030-01-01T00:00:00Z"),
            ("high", None),
            ("medium", "2032-01-01T00:00:00Z"),
        ]:
            await create_task(
                client, room.owner, room.id, priority, priority=priority, deadline=deadline
            )
        path = f"/api/v1/rooms/{room.id}/tasks"
        by_priority = await all_pages(client, room.member, path, sort="-priority", limit=2)
        assert _titles(by_priority) == ["urgent", "high", "medium", "low", "none"]
        by_deadline = await all_pages(client, room.member, path, sort="deadline", limit=2)
        assert _titles(by_deadline) == ["none", "urgent", "medium", "low", "high"]
        backwards = await all_pages(client, room.member, path, sort="-deadline", limit=2)
        assert _titles(backwards) == ["high", "low", "medium", "urgent", "none"]


# Few distinct values, so that sort keys tie often and the id tie-breaker is exercised.
BASE = datetime(2030, 1, 1, tzinfo=UTC)
TIMES = st.sampled_from([BASE + timedelta(hours=h, microseconds=m) for h in (0, 5) for m in (0, 7)])
TASK = st.fixed_dictionaries(
    {
        "status": st.sampled_from(list(Status)),
        "priority": st.sampled_from(list(Priority)),
        "deadline": st.none() | TIMES,
        "position": st.sampled_from([0.5, 1.0, 2.25, -3.0]),
        "created_at": TIMES,
        "updated_at": TIMES,
    }
)
TASKS = st.lists(TASK, max_size=25)
SORT_FIELDS = ["position", "number", "priority", "created_at", "updated_at", "deadline"]


def _row(room_id: uuid.UUID, user: uuid.UUID, number: int, fields: dict[str, Any]) -> dict:
    return {
        "id": uuid.uuid4(),
        "room_id": room_id,
        "number": number,
        "title": f"#{number}",
        "description": "",
        "status": fields["status"].value,
        "priority": fields["priority"].value,
        "priority_rank": PRIORITY_RANK[fields["priority"]],
        "deadline": fields["deadline"],
        "assignee_id": None,
        "labels": [],
        "position": fields["position"],
        "created_by": user,
        "created_at": fields["created_at"],
        "updated_at": fields["updated_at"],
        "completed_at": None,
        "version": 1,
    }


def _sort_key(row: dict[str, Any], field: str) -> tuple:
    tie = str(row["id"])
    if field == "deadline":
        missing = row["deadline"] is None
        return (missing, BASE if missing else row["deadline"], tie)
    if field == "priority":
        return (row["priority_rank"], tie)
    return (row[field], tie)


@pytest.fixture
async def reader(client: httpx.AsyncClient) -> Person:
    return await signed_up(client, "reader")


class TestPagination:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        tasks=TASKS,
        field=st.sampled_from(SORT_FIELDS),
        descending=st.booleans(),
        limit=st.integers(min_value=1, max_value=7),
        statuses=st.lists(st.sampled_from(list(Status)), max_size=2, unique=True),
        churn=st.data(),
    )
    async def test_walking_every_page_yields_each_task_once_in_order(
        self,
        client: httpx.AsyncClient,
        tasks_db: Database,
        reader: Person,
        tasks: list[dict[str, Any]],
        field: str,
        descending: bool,
        limit: int,
        statuses: list[Status],
        churn: st.DataObject,
    ) -> None:
        room_id, user = uuid.uuid4(), uuid.UUID(reader.id)
        rows = [_row(room_id, user, n, fields) for n, fields in enumerate(tasks, start=1)]
        async with tasks_db.sessionmaker.begin() as session:
            await session.execute(
                insert(room_roles.table).values(room_id=room_id, user_id=user, role="viewer")
            )
            if rows:
                await session.execute(insert(Task), rows)
        by_id = {str(row["id"]): row for row in rows}
        params: dict[str, Any] = {
            "sort": f"-{field}" if descending else field,
            "limit": limit,
            "status": [s.value for s in statuses],
        }
        seen: list[dict[str, Any]] = []
        touched: set[str] = set()
        cursor = None
        next_number = len(rows) + 1
        # Drawn before the walk, so that what is drawn never depends on how the pages fell
        # (hypothesis replays an example and needs the same draws).
        churns = [
            (churn.draw(TASK, label="added"), churn.draw(st.integers(0, 999), label="removed"))
            for _ in range(3)
        ]
        for walked in range(len(rows) + 10):
            page = await client.get(
                f"/api/v1/rooms/{room_id}/tasks",
                params={**params, **({"cursor": cursor} if cursor else {})},
                headers=reader.headers,
            )
            assert page.status_code == 200, page.text
            assert len(page.json()["items"]) <= limit
            seen += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
            if walked >= 3:
                continue
            # Between the first pages someone adds a task and removes one.
            async with tasks_db.sessionmaker.begin() as session:
                fields, pick = churns[walked]
                added = _row(room_id, user, next_number, fields)
                next_number += 1
                await session.execute(insert(Task), [added])
                by_id[str(added["id"])] = added
                touched.add(str(added["id"]))
                if victims := sorted(set(by_id) - touched, key=lambda i: by_id[i]["number"]):
                    victim = victims[pick % len(victims)]
                    await session.execute(delete(Task).where(Task.id == uuid.UUID(victim)))
                    touched.add(victim)
        else:
            pytest.fail("the walk did not end")
        ids = [item["id"] for item in seen]
        assert len(ids) == len(set(ids)), "a task was seen twice"
        assert all(not statuses or item["status"] in statuses for item in seen)
        keys = [_sort_key(by_id[i], field) for i in ids]
        assert keys == sorted(keys, reverse=descending)
        expected = {
            i for i, row in by_id.items() if not statuses or row["status"] in statuses
        } - touched
        assert expected <= set(ids), "a task present all along was skipped"
        async with tasks_db.sessionmaker.begin() as session:
            await session.execute(delete(Task).where(Task.room_id == room_id))
