"""The audit exported as NDJSON or CSV, streamed in chain order; CSV cells a spreadsheet
would run are neutralised and every entry stays on one line."""

import csv
import io

import httpx
import orjson
import pytest

from tasksync.activity.export import neutralised
from tests.activity.conftest import ADMIN_AUDIT
from tests.helpers.backends import ONE_BACKEND
from tests.helpers.builders import Person, assert_problem
from tests.helpers.rooms import create_room
from tests.helpers.tasks import all_pages, create_task
from tests.helpers.waiting import eventually

EXPORT = f"{ADMIN_AUDIT}/export"
FORMULAS = ["=SUM(A1:A9)", "+1+2", "-2+3", "@cmd", "\tTab", "\rReturn"]


class TestNeutralising:
    @pytest.mark.parametrize("value", FORMULAS)
    def test_a_cell_a_spreadsheet_would_run_is_prefixed(self, value: str) -> None:
        assert neutralised(value).startswith("'")

    @pytest.mark.parametrize(
        ("value", "cell"),
        [
            ("line one\nline two", "line one\\nline two"),
            ("a\r\nb", "a\\r\\nb"),
            ("plain text", "plain text"),
            (None, ""),
            ([{"field": "title", "new": "=x"}], '[{"field":"title","new":"=x"}]'),
        ],
    )
    def test_line_breaks_are_escaped_and_other_values_kept(self, value: object, cell: str) -> None:
        assert neutralised(value) == cell


# The root's registration, sign-in and promotion.
ROOT_ENTRIES = 3


async def _audited(client: httpx.AsyncClient, root: Person, count: int) -> list[dict]:
    """The audit, newest first, once it has the root's entries and `count` more."""

    async def enough() -> list[dict] | None:
        found = await all_pages(client, root, ADMIN_AUDIT)
        return found if len(found) == ROOT_ENTRIES + count else None

    return await eventually(enough)


class TestExport:
    async def test_csv_neutralises_formulas_and_keeps_one_entry_a_line(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        names = ["=SUM(A1:A9)", "+1+2", "-2+3", "@cmd"]
        for name in names:
            room = await create_room(client, root, name)
        await create_task(client, root, room["id"], '=HYPERLINK("http://evil")')
        # per room its creation and its owner joining, then the task
        entries = await _audited(client, root, 2 * len(names) + 1)
        response = await client.get(EXPORT, params={"format": "csv"}, headers=root.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        lines = response.text.splitlines()
        assert len(lines) == len(entries) + 1
        rows = list(csv.DictReader(io.StringIO(response.text)))
        labels = {row["subject_label"] for row in rows if row["type"] == "room.created"}
        assert labels == {"'" + name for name in names}
        for row in rows:
            assert not any(
                cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values()
            )

    async def test_ndjson_has_every_entry_in_chain_order(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        await create_room(client, root, "Home")
        entries = await _audited(client, root, 2)
        response = await client.get(EXPORT, headers=root.headers)
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [orjson.loads(line) for line in response.text.splitlines()]
        assert [line["id"] for line in lines] == [e["id"] for e in reversed(entries)]
        assert all(len(line["hash"]) == 64 for line in lines)

    async def test_since_and_until_cut_the_export(
        self, client: httpx.AsyncClient, root: Person
    ) -> None:
        await create_room(client, root, "Home")
        entries = await _audited(client, root, 2)
        newest = entries[0]["occurred_at"]
        since = await client.get(EXPORT, params={"since": newest}, headers=root.headers)
        assert [orjson.loads(x)["id"] for x in since.text.splitlines()] == [entries[0]["id"]]
        until = await client.get(EXPORT, params={"until": newest}, headers=root.headers)
        assert len(until.text.splitlines()) == len(entries) - 1

    @ONE_BACKEND
    @pytest.mark.parametrize("params", [{"format": "xlsx"}, {"since": "last week"}])
    async def test_a_bad_format_or_time_is_a_422(
        self, client: httpx.AsyncClient, root: Person, params: dict[str, str]
    ) -> None:
        assert_problem(await client.get(EXPORT, params=params, headers=root.headers), 422)
