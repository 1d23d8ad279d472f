"""Known scenarios, with the clock set: exact figures for summary, flow, burndown,
throughput, cycle and lead time and workload, in UTC and across a daylight-saving change."""

from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from tasksync.common.clock import Clock
from tasksync.common.db import Database
from tasksync.reports import queries, service
from tasksync.reports.figures import Days, on_slots, status_at_day_ends
from tests.helpers.rooms import RoleRoom
from tests.reports.conftest import Feed

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # a Wednesday


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def scenario(feed: Feed, room: RoleRoom, clock: Clock) -> dict[str, UUID]:
    """Two weeks of a room (March 2026, UTC):

    - A: created Mon 2nd 09:00, started Tue 3rd 10:00, completed Thu 5th 10:00;
    - B: created 2nd 10:00, started 4th 10:00, completed Mon 9th 10:00;
    - C: created in progress 3rd 12:00, completed 4th 12:00, reopened 6th 12:00, started
      again 9th 12:00, completed 10th 12:00 (counted by its last completion);
    - D: created 5th 08:00, high priority, the member's, due 8th: overdue;
    - E: created 6th 08:00, started 10th 08:00, the member's, due Fri 13th: due this week;
    - F: created 4th, deleted 7th: in no report.
    """
    clock.set(NOW)
    member = UUID(room.member.id)
    a = feed.created(at(2, 9))
    b = feed.created(at(2, 10))
    c = feed.created(at(3, 12), status="in_progress")
    d = feed.created(at(5, 8), priority="high", assignee_id=member, deadline=at(8))
    e = feed.created(at(6, 8), assignee_id=member, deadline=at(13, 17))
    f = feed.created(at(4, 9))
    feed.moved(a, "in_progress", at(3, 10))
    feed.moved(a, "completed", at(5, 10))
    feed.moved(b, "in_progress", at(4, 10))
    feed.moved(b, "completed", at(9, 10))
    feed.moved(c, "completed", at(4, 12))
    feed.moved(c, "pending", at(6, 12))
    feed.moved(c, "in_progress", at(9, 12))
    feed.moved(c, "completed", at(10, 12))
    feed.moved(e, "in_progress", at(10, 8))
    feed.deleted(f, at(7, 9))
    await feed.publish()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def reports(room: RoleRoom) -> str:
    return f"/api/v1/rooms/{room.id}/reports"


async def read(client: httpx.AsyncClient, room: RoleRoom, path: str, **params: object) -> dict:
    response = await client.get(
        f"{reports(room)}/{path}", params=params, headers=room.member.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestKnownScenario:
    async def test_summary_counts_each_task_once_by_its_last_completion(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(client, room, "summary")
        assert found["by_status"] == {"pending": 1, "in_progress": 1, "completed": 3}
        assert found["by_priority"] == {"none": 4, "low": 0, "medium": 0, "high": 1, "urgent": 0}
        assert found["by_assignee"] == [
            {"assignee_id": None, "tasks": 3},
            {"assignee_id": room.member.id, "tasks": 2},
        ]
        assert (found["total"], found["open"], found["overdue"], found["due_this_week"]) == (
            5,
            2,
            1,
            1,
        )
        assert found["completed_this_week"] == 2  # B on the 9th, C on the 10th
        assert found["completed_last_week"] == 1  # A (C's first completion no longer counts)
        assert found["week_start"] == "2026-03-09"

    async def test_cumulative_flow_counts_statuses_at_each_days_end(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(
            client, room, "cumulative-flow", **{"from": "2026-03-02", "to": "2026-03-10"}
        )
        rows = [
            (d["date"][-2:], d["pending"], d["in_progress"], d["completed"]) for d in found["days"]
        ]
        assert rows == [
            ("02", 2, 0, 0),
            ("03", 1, 2, 0),
            ("04", 0, 2, 1),
            ("05", 1, 1, 2),
            ("06", 3, 1, 1),
            ("07", 3, 1, 1),
            ("08", 3, 1, 1),
            ("09", 2, 1, 2),
            ("10", 1, 1, 3),
        ]

    async def test_burndown_plans_the_ideal_line_again_from_each_day_that_adds_tasks(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(client, room, "burndown", **{"from": "2026-03-02", "to": "2026-03-10"})
        days = found["days"]
        assert [d["open"] for d in days] == [2, 3, 2, 2, 4, 4, 4, 3, 2]
        assert [d["added"] for d in days] == [2, 1, 0, 1, 1, 0, 0, 0, 0]  # F was deleted
        # From 2 open on the 2nd, down to none on the 10th; C (3rd), D (5th) and E (6th)
        # add their share from their day on: (previous + added) * days left / (days left + 1).
        assert [d["ideal"] for d in days] == [2, 2.62, 2.25, 2.71, 2.97, 2.23, 1.48, 0.74, 0]
        # A range that opens on an empty room: the line starts at none, rises with the
        # work added, and still reaches none at the end.
        found = await read(client, room, "burndown", **{"from": "2026-03-01", "to": "2026-03-05"})
        assert [d["ideal"] for d in found["days"]] == [0, 1.5, 1.67, 0.83, 0]

    async def test_the_flow_sums_agree_with_the_transitions_in_every_zone(
        self, room: RoleRoom, scenario: dict[str, UUID], reports_db: Database
    ) -> None:
        """The flow kept per quarter hour by the feed says what the transitions say, for
        days that start on the hour, on the half hour, on a quarter and across DST; days
        that start off the quarter hours (local mean time) are read from the transitions."""
        room_id = UUID(room.id)
        async with reports_db.sessionmaker() as session:
            for name in (
                "UTC",
                "Europe/Kyiv",
                "Asia/Kolkata",
                "Asia/Kathmandu",
                "America/Santiago",
            ):
                days = Days(date(2026, 3, 1), date(2026, 3, 11), ZoneInfo(name))
                assert on_slots(days)
                before = await queries.statuses_at(session, room_id, days.start)
                moves = await queries.moves_between(session, room_id, days.start, days.end)
                exact = status_at_day_ends(before, moves, days)
                assert await service.cumulative_flow(session, room_id=room_id, days=days) == [
                    {"date": day, **counts} for day, counts in zip(days, exact, strict=True)
                ], name
            assert not on_slots(Days(date(1900, 1, 1), date(1900, 1, 2), ZoneInfo("Europe/Kyiv")))

    async def test_throughput_counts_completions_per_week(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(client, room, "throughput", weeks=3)
        assert found["weeks"] == [
            {"week_start": "2026-02-23", "completed": 0},
            {"week_start": "2026-03-02", "completed": 1},
            {"week_start": "2026-03-09", "completed": 2},
        ]

    async def test_lead_time_runs_from_creation_to_the_last_completion(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(client, room, "lead-time", **{"from": "2026-03-02", "to": "2026-03-10"})
        # A 73 h, B 168 h, C 168 h (created 3rd 12:00, last completed 10th 12:00).
        assert found["tasks"] == 3
        assert (found["p50_hours"], found["p85_hours"], found["p95_hours"]) == (168, 168, 168)
        buckets = {b["bucket"]: b["tasks"] for b in found["histogram"]}
        assert buckets == {
            "0-1d": 0,
            "1-2d": 0,
            "2-4d": 1,
            "4-7d": 0,
            "7-14d": 2,
            "14-30d": 0,
            "30d+": 0,
        }

    async def test_cycle_time_runs_from_the_first_start_to_the_last_completion(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(client, room, "cycle-time", **{"from": "2026-03-02", "to": "2026-03-10"})
        # A 48 h, B 120 h, C 168 h.
        assert (found["tasks"], found["p50_hours"], found["p85_hours"], found["p95_hours"]) == (
            3,
            120,
            168,
            168,
        )
        buckets = {b["bucket"]: b["tasks"] for b in found["histogram"]}
        assert (buckets["2-4d"], buckets["4-7d"], buckets["7-14d"]) == (1, 1, 1)

    async def test_a_window_keeps_only_the_tasks_completed_in_it(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(client, room, "cycle-time", **{"from": "2026-03-06", "to": "2026-03-10"})
        assert (found["tasks"], found["p50_hours"]) == (2, 120)
        empty = await read(client, room, "lead-time", **{"from": "2026-01-01", "to": "2026-01-31"})
        assert (empty["tasks"], empty["p50_hours"]) == (0, None)

    async def test_workload_counts_open_and_overdue_per_assignee(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        found = await read(client, room, "workload")
        assert found["assignees"] == [{"assignee_id": room.member.id, "open": 2, "overdue": 1}]

    async def test_my_dashboard_counts_my_tasks_across_my_rooms(
        self, client: httpx.AsyncClient, room: RoleRoom, scenario: dict[str, UUID]
    ) -> None:
        response = await client.get("/api/v1/reports/me", headers=room.member.headers)
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["mine"] == {
            "open": 2,
            "overdue": 1,
            "due_this_week": 1,
            "completed_this_week": 0,
            "completed_last_week": 0,
        }
        assert found["rooms"] == [
            {"room_id": room.id, "open": 2, "overdue": 1, "mine_open": 2, "mine_overdue": 1}
        ]
        outsider = await client.get("/api/v1/reports/me", headers=room.outsider.headers)
        assert outsider.json()["rooms"] == []


class TestSummaryByTime:
    async def test_overdue_counts_deadlines_to_the_minute_and_follows_each_change(
        self, client: httpx.AsyncClient, room: RoleRoom, feed: Feed, clock: Clock
    ) -> None:
        clock.set(at(11, 12, 7))
        early = feed.created(at(10), deadline=at(11, 11, 58))  # the quarter hour before
        feed.created(at(10), deadline=at(11, 12, 3))  # this quarter hour, passed
        later = feed.created(at(10), deadline=at(11, 12, 10))  # this quarter hour, to come
        await feed.publish()
        found = await read(client, room, "summary")
        assert (found["overdue"], found["due_this_week"], found["completed_this_week"]) == (2, 3, 0)
        feed.moved(early, "completed", at(11, 12, 5))
        feed.updated(later, at(11, 12, 6), deadline=at(11, 12, 1).isoformat())
        await feed.publish()
        found = await read(client, room, "summary")
        assert (found["overdue"], found["due_this_week"], found["completed_this_week"]) == (2, 2, 1)
        feed.moved(early, "pending", at(11, 12, 6))
        await feed.publish()
        found = await read(client, room, "summary")
        assert (found["overdue"], found["due_this_week"], found["completed_this_week"]) == (3, 3, 0)


class TestTimeZones:
    async def test_days_follow_the_zone_across_a_daylight_saving_change(
        self, client: httpx.AsyncClient, room: RoleRoom, feed: Feed, clock: Clock
    ) -> None:
        """New York moved its clocks forward on Sunday 8 March 2026: that day ended at
        04:00 UTC, not 05:00."""
        clock.set(at(11, 12))
        first = feed.created(at(8, 3, 30))  # Sat 7th, 22:30 in New York
        feed.moved(first, "completed", at(9, 3, 30))  # Sun 8th, 23:30 EDT
        feed.created(at(9, 4, 30))  # Mon 9th, 00:30 EDT
        await feed.publish()
        days = {"from": "2026-03-07", "to": "2026-03-09"}

        def rows(found: dict) -> list[tuple[int, int]]:
            return [(d["pending"], d["completed"]) for d in found["days"]]

        new_york = await read(client, room, "cumulative-flow", tz="America/New_York", **days)
        assert rows(new_york) == [(1, 0), (0, 1), (1, 1)]
        utc = await read(client, room, "cumulative-flow", **days)
        assert rows(utc) == [(0, 0), (1, 0), (1, 1)]
        weekly = await read(client, room, "throughput", tz="America/New_York", weeks=2)
        # Completed on Sunday the 8th in New York: the week of Monday the 2nd there.
        assert weekly["weeks"] == [
            {"week_start": "2026-03-02", "completed": 1},
            {"week_start": "2026-03-09", "completed": 0},
        ]
