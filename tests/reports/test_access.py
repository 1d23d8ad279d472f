"""Who may read a room's reports (everyone in the room, viewers too; outsiders 404), bad input
(422 as problem+json), and every report as CSV that the csv module reads back."""

import csv
import io
from datetime import UTC, datetime

import httpx
import pytest

from tasksync.common.clock import Clock
from tasksync.reports.render import cell, csv_text
from tests.helpers.builders import assert_problem
from tests.helpers.rooms import RoleRoom
from tests.reports.conftest import Feed

# The role checks are the same code on both backends, and the role replica's queries run on
# PostgreSQL in every other suite: the role table runs on the embedded backend alone.
pytestmark = pytest.mark.only_backend("sqlite")

ROUTES = (
    "summary",
    "cumulative-flow",
    "burndown",
    "throughput",
    "cycle-time",
    "lead-time",
    "workload",
)
RANGED = ("cumulative-flow", "burndown", "cycle-time", "lead-time")


def path(room: RoleRoom, route: str) -> str:
    return f"/api/v1/rooms/{room.id}/reports/{route}"


class TestRoles:
    async def test_everyone_in_the_room_reads_every_report(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for role in ("owner", "admin", "member", "viewer"):
            for route in ROUTES:
                response = await client.get(path(room, route), headers=room.by_role(role).headers)
                assert response.status_code == 200, (role, route, response.text)

    async def test_an_outsider_never_sees_the_room(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        for route in ROUTES:
            assert_problem(await client.get(path(room, route), headers=room.outsider.headers), 404)
            assert_problem(await client.get(path(room, route)), 401)

    async def test_my_dashboard_needs_a_signed_in_caller(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/api/v1/reports/me"), 401)


class TestBadInput:
    @pytest.mark.parametrize(
        "params",
        [
            {"tz": "Mars/Olympus"},
            {"tz": "../etc/passwd"},
            {"from": "2026-03-10", "to": "2026-03-01"},
            {"from": "2025-01-01", "to": "2026-03-01"},
            {"from": "2026-02-30"},
            {"from": "9999-12-31", "to": "9999-12-31"},
            {"from": "0001-01-01", "to": "0001-01-02"},
            {"tz": "posixrules"},
            {"format": "xml"},
        ],
    )
    async def test_each_ranged_report_answers_422(
        self, client: httpx.AsyncClient, room: RoleRoom, params: dict[str, str]
    ) -> None:
        for route in RANGED:
            response = await client.get(
                path(room, route), params=params, headers=room.member.headers
            )
            body = assert_problem(response, 422)
            assert body["type"] == "/problems/validation-error"

    async def test_a_year_is_the_longest_range(
        self, client: httpx.AsyncClient, room: RoleRoom
    ) -> None:
        params = {"from": "2025-03-02", "to": "2026-03-02"}  # 366 days
        response = await client.get(
            path(room, "cumulative-flow"), params=params, headers=room.member.headers
        )
        assert response.status_code == 200
        assert len(response.json()["days"]) == 366
        params["from"] = "2025-03-01"
        found = assert_problem(
            await client.get(
                path(room, "cumulative-flow"), params=params, headers=room.member.headers
            ),
            422,
        )
        assert "366 days" in found["detail"]

    @pytest.mark.parametrize("weeks", ["0", "54", "many"])
    async def test_throughput_weeks_are_bounded(
        self, client: httpx.AsyncClient, room: RoleRoom, weeks: str
    ) -> None:
        response = await client.get(
            path(room, "throughput"), params={"weeks": weeks}, headers=room.member.headers
        )
        assert_problem(response, 422)


def parsed(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.text)))


class TestCsv:
    async def test_every_report_reads_back_with_the_csv_module(
        self, client: httpx.AsyncClient, room: RoleRoom, feed: Feed, clock: Clock
    ) -> None:
        clock.set(datetime(2026, 3, 11, 12, tzinfo=UTC))
        task = feed.created(datetime(2026, 3, 2, 9, tzinfo=UTC))
        feed.moved(task, "in_progress", datetime(2026, 3, 3, 9, tzinfo=UTC))
        feed.moved(task, "completed", datetime(2026, 3, 4, 9, tzinfo=UTC))
        await feed.publish()
        window = {"from": "2026-03-02", "to": "2026-03-04", "format": "csv"}
        headers = room.member.headers
        flow = parsed(
            await client.get(path(room, "cumulative-flow"), params=window, headers=headers)
        )
        assert flow == [
            ["date", "pending", "in_progress", "completed"],
            ["2026-03-02", "1", "0", "0"],
            ["2026-03-03", "0", "1", "0"],
            ["2026-03-04", "0", "0", "1"],
        ]
        burndown = parsed(await client.get(path(room, "burndown"), params=window, headers=headers))
        assert burndown[0] == ["date", "open", "added", "ideal"]
        assert burndown[1] == ["2026-03-02", "1", "1", "1.0"]
        lead = parsed(await client.get(path(room, "lead-time"), params=window, headers=headers))
        assert ["p50_hours", "", "48.0"] in lead
        summary = parsed(
            await client.get(path(room, "summary"), params={"format": "csv"}, headers=headers)
        )
        assert summary[0] == ["metric", "key", "value"]
        assert ["by_status", "completed", "1"] in summary
        assert ["completed_last_week", "", "1"] in summary
        weekly = parsed(
            await client.get(
                path(room, "throughput"), params={"format": "csv", "weeks": 2}, headers=headers
            )
        )
        assert weekly == [["week_start", "completed"], ["2026-03-02", "1"], ["2026-03-09", "0"]]
        load = parsed(
            await client.get(path(room, "workload"), params={"format": "csv"}, headers=headers)
        )
        assert load == [["assignee_id", "open", "overdue"]]
        mine = parsed(
            await client.get("/api/v1/reports/me", params={"format": "csv"}, headers=headers)
        )
        assert mine == [
            ["room_id", "open", "overdue", "mine_open", "mine_overdue"],
            [room.id, "0", "0", "0", "0"],
        ]


class TestFormulaInjection:
    @pytest.mark.parametrize(
        ("given", "written"),
        [
            ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tTAB", "'\tTAB"),
            ("\r=1", "'\\r=1"),
            ("line\nbreak", "line\\nbreak"),
            ("plain", "plain"),
        ],
    )
    def test_cells_a_spreadsheet_would_run_are_neutralised(self, given: str, written: str) -> None:
        assert cell(given) == written
        rows = list(csv.reader(io.StringIO(csv_text(["title"], [[given]]))))
        assert rows == [["title"], [written]]

    def test_numbers_stay_numbers(self) -> None:
        assert cell(-3) == -3
        assert cell(1.5) == 1.5
