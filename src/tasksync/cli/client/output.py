"""How the client shows things: tables for people, one JSON document for scripts, and
problems that say what went wrong and what to do."""

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tasksync.cli.client.session import ApiError, ClientError, Unreachable

out = Console()
err = Console(stderr=True)

# Exit codes (typer/click use 2 for usage errors).
API_ERROR, CANNOT_CONNECT = 1, 3

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turns the client's errors into a readable message and the documented exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ApiError as exc:
            show_problem(exc.status, exc.problem)
            raise typer.Exit(API_ERROR) from exc
        except ClientError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(API_ERROR) from exc
        except Unreachable as exc:
            err.print(
                f"[red]error:[/] cannot connect to TaskSync at {exc.url} ({exc.reason}).\n"
                "Is the server running? Start one with `tasksync up`, or point at another "
                "with --url or TASKSYNC_URL.",
                highlight=False,
            )
            raise typer.Exit(CANNOT_CONNECT) from exc

    return run


def show_problem(status: int, problem: dict[str, Any]) -> None:
    title = problem.get("title") or "Error"
    line = f"[red]error:[/] {title} ({status})"
    if detail := problem.get("detail"):
        line += f": {detail}"
    err.print(line, highlight=False)
    for field in problem.get("errors") or []:
        where = ".".join(str(part) for part in field.get("loc", []) if part != "body")
        err.print(f"  - {where or 'body'}: {field.get('msg', '')}", highlight=False)


def print_json(data: Any) -> None:
    """One JSON document on standard output, nothing else."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    chosen: str | None = None,
    title: str | None = None,
) -> None:
    """A table of `rows` with `columns` (or the comma-separated `chosen` ones)."""
    wanted = [c.strip() for c in chosen.split(",")] if chosen else list(columns)
    known = set(columns) | {key for row in rows for key in row}
    if unknown := [c for c in wanted if c not in known]:
        raise typer.BadParameter(
            f"unknown column {', '.join(unknown)}; choose from {', '.join(sorted(known))}",
            param_hint="--columns",
        )
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in wanted:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in wanted))
    out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def when(value: str | None) -> str:
    """An API time as a short local time for people."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")
