"""Discussions: `tasksync comment REF TEXT` and `tasksync comments REF`."""

import sys
from typing import Annotated, Any

import typer

from tasksync.cli.client import refs
from tasksync.cli.client.options import Columns, Json
from tasksync.cli.client.output import print_json, print_rows, reports_errors, when
from tasksync.cli.client.session import API, Session
from tasksync.cli.client.tasks import Names, TaskRef

app = typer.Typer()

COLUMNS = ["when", "author", "comment", "id"]


@app.command()
@reports_errors
def comment(
    task: TaskRef,
    text: Annotated[str, typer.Argument(help="Markdown; - reads it from standard input.")],
    reply_to: Annotated[
        str | None, typer.Option("--reply-to", help="The id of a comment to answer.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Comment on a task.

    Example: tasksync comment Launch#1 "Draft is in the shared folder"
    """
    body: dict[str, Any] = {"body": sys.stdin.read() if text == "-" else text}
    if reply_to:
        body["parent_id"] = reply_to
    with Session() as session:
        found = refs.task(session, task)
        created = session.call("POST", f"{API}/tasks/{found['id']}/comments", json=body)
        ref = Names(session).row(found)["ref"]
    if as_json:
        print_json(created)
        return
    typer.echo(f"Commented on {ref}: {created['id']}")


@app.command("comments")
@reports_errors
def list_comments(
    task: TaskRef,
    newest_first: Annotated[bool, typer.Option("--newest-first", help="Newest on top.")] = False,
    as_json: Json = False,
    columns: Columns = None,
) -> None:
    """A task's comments and replies, oldest first.

    Example: tasksync comments Launch#1 --columns when,author,comment
    """
    params: dict[str, Any] = {"limit": 200} | ({"order": "desc"} if newest_first else {})
    with Session() as session:
        found = refs.task(session, task)
        comments = list(session.pages(f"{API}/tasks/{found['id']}/comments", params))
        title = Names(session).row(found)["ref"]
    if as_json:
        print_json(comments)
        return
    print_rows([_row(c) for c in comments], COLUMNS, chosen=columns, title=title)


def _row(comment: dict[str, Any]) -> dict[str, Any]:
    author = comment["author"]
    text = "(deleted)" if comment["deleted"] else comment["body"]
    return {
        "when": when(comment["created_at"]) + (" (edited)" if comment["edited_at"] else ""),
        "author": (author and author["username"]) or "(deleted account)",
        "comment": f"↳ {text}" if comment["parent_id"] else text,
        "id": comment["id"],
    }
