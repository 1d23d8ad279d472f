"""Reports as CSV: one table per report, with a header row. Cells that a spreadsheet would
take for a formula are neutralised (exports.py writes XLSX with the same rule)."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import Response

# A cell starting with one of these is a formula to a spreadsheet: it gets a leading `'`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def cell(value: Any) -> Any:
    """One cell: numbers stay numbers; text that no spreadsheet runs, on one line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | UUID):
        return str(value)
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text.replace("\r", "\\r").replace("\n", "\\n")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    return Response(
        csv_text(header, rows).encode(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def dict_rows(items: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[list[Any]]:
    return [[item[column] for column in columns] for item in items]


# Each report as one table.


def summary_table(found: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """`metric, key, value` rows: one per count."""
    rows: list[list[Any]] = []
    for group in ("by_status", "by_priority"):
        rows += [[group, key, n] for key, n in found[group].items()]
    rows += [["by_assignee", item["assignee_id"], item["tasks"]] for item in found["by_assignee"]]
    for name in (
        "total",
        "open",
        "overdue",
        "due_this_week",
        "completed_this_week",
        "completed_last_week",
    ):
        rows.append([name, "", found[name]])
    return ["metric", "key", "value"], rows


def flow_time_table(found: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    rows: list[list[Any]] = [["tasks", "", found["tasks"]]]
    rows += [[f"p{p}_hours", "", found[f"p{p}_hours"]] for p in (50, 85, 95)]
    rows += [["histogram", item["bucket"], item["tasks"]] for item in found["histogram"]]
    return ["metric", "key", "value"], rows


def dashboard_table(found: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    columns = ["room_id", "open", "overdue", "mine_open", "mine_overdue"]
    return columns, dict_rows(found["rooms"], columns)
