"""Notifications: `tasksync inbox` lists them, `tasksync inbox read` marks them read."""

from typing import Annotated, Any

import typer

from tasksync.cli.client.options import Columns, Json, ListByDefault
from tasksync.cli.client.output import print_json, print_rows, reports_errors, when
from tasksync.cli.client.session import API, Session

app = typer.Typer(cls=ListByDefault, help="Your notifications (`tasksync inbox` lists them).")

COLUMNS = ["", "when", "what", "id"]


@app.command("list")
@reports_errors
def list_notifications(
    unread: Annotated[bool, typer.Option("--unread", help="Only those not read yet.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="At most this many, newest first.")
    ] = 50,
    as_json: Json = False,
    columns: Columns = None,
) -> None:
    """Your notifications, newest first (● marks the unread).

    Example: tasksync inbox --unread
    """
    params: dict[str, Any] = {"limit": min(limit, 200)} | ({"unread": "true"} if unread else {})
    with Session() as session:
        found = []
        for item in session.pages(f"{API}/notifications", params):
            found.append(item)
            if len(found) == limit:
                break
        count = session.call("GET", f"{API}/notifications/unread-count")["unread"]
    if as_json:
        print_json(found)
        return
    print_rows([_row(n) for n in found], COLUMNS, chosen=columns, title=f"{count} unread")


@app.command("read")
@reports_errors
def mark_read(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Notification ids; none with --all.")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Mark every one read.")] = False,
) -> None:
    """Mark notifications read.

    Example: tasksync inbox read --all
    """
    if bool(ids) == everything:
        raise typer.BadParameter("name notification ids, or --all (not both)")
    with Session() as session:
        if everything:
            marked = session.call("POST", f"{API}/notifications/read-all")["marked"]
        else:
            for notification_id in ids or []:
                session.call("POST", f"{API}/notifications/{notification_id}/read")
            marked = len(ids or [])
    typer.echo(f"Marked {marked} read.")


def _row(notification: dict[str, Any]) -> dict[str, Any]:
    return {
        "": "" if notification["read_at"] else "●",
        "when": when(notification["created_at"]),
        "what": notification["text"],
        "id": notification["id"],
    }
