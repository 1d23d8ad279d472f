"""The audit as a file, streamed: entries are read a batch at a time and written out as
they come, so an export's memory does not grow with the audit.

CSV cells that a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a
tab or a carriage return) are prefixed with `'`, and line breaks inside a value are written
as `\\r` and `\\n`, so one entry is always one line.
"""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any, Literal

import orjson

from tasksync.activity import queries
from tasksync.activity.queries import EntryFilter
from tasksync.common.db import Database

Format = Literal["ndjson", "csv"]
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
COLUMNS = [column.name for column in queries.ENTRY_COLUMNS]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> str:
    """One CSV cell: JSON for lists, text that no spreadsheet runs, on one line."""
    if value is None:
        return ""
    text = orjson.dumps(value).decode() if isinstance(value, list | dict) else str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _csv_lines(rows: list[dict[str, Any]], *, header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(COLUMNS)
    writer.writerows([neutralised(row[name]) for name in COLUMNS] for row in rows)
    return out.getvalue()


def _ndjson_lines(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row, default=str) + b"\n" for row in rows)


async def stream(
    db: Database, *, format: Format, where: EntryFilter, batch_size: int
) -> AsyncIterator[bytes]:
    """The export's bytes, batch after batch, in chain order."""
    if format == "csv":
        yield _csv_lines([], header=True).encode()
    async with db.reading() as conn:
        async for rows in queries.batches(conn, where, after=0, size=batch_size):
            if format == "csv":
                yield _csv_lines(rows, header=False).encode()
            else:
                yield _ndjson_lines(rows)
