"""`tasksync tasks`: list (all pages, with a spinner), add, show, edit, done, rm."""

from typing import Annotated, Any

import typer

from tasksync.cli.client import refs, when
from tasksync.cli.client.options import Columns, Json, ListByDefault, Yes
from tasksync.cli.client.output import err, print_json, print_rows, reports_errors
from tasksync.cli.client.output import when as local_time
from tasksync.cli.client.session import API, ClientError, Session

app = typer.Typer(cls=ListByDefault, help="Tasks (`tasksync tasks [ROOM]` lists them).")

TaskRef = Annotated[str, typer.Argument(help="A task id, or ROOM#NUMBER like Launch#12.")]
Status = Annotated[
    str | None, typer.Option("--status", "-s", help="pending, in_progress or completed.")
]
Priority = Annotated[
    str | None, typer.Option("--priority", "-p", help="none, low, medium, high or urgent.")
]
Due = Annotated[
    str | None,
    typer.Option("--due", "-d", help="'tomorrow 17:00', 'fri', 'in 3 days', an ISO date; 'none'."),
]
Assign = Annotated[
    str | None, typer.Option("--assign", "-a", help="A member's username, 'me', or 'none'.")
]
Labels = Annotated[
    list[str] | None, typer.Option("--label", "-l", help="Repeat for several labels.")
]
COLUMNS = ["ref", "title", "status", "priority", "due", "assignee", "labels"]


class Names:
    """Usernames of room members and room names, fetched once per room."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rooms: dict[str, str] = {}
        self.people: dict[str, dict[str, str]] = {}

    def room(self, room_id: str) -> str:
        if room_id not in self.rooms:
            self.rooms[room_id] = self.session.call("GET", f"{API}/rooms/{room_id}")["name"]
        return self.rooms[room_id]

    def members(self, room_id: str) -> dict[str, str]:
        if room_id not in self.people:
            found = self.session.pages(f"{API}/rooms/{room_id}/members", {"limit": 200})
            self.people[room_id] = {m["user_id"]: m["username"] or "?" for m in found}
        return self.people[room_id]

    def row(self, task: dict[str, Any]) -> dict[str, Any]:
        room_id = task["room_id"]
        assignee = task["assignee_id"]
        return {
            "ref": f"{self.room(room_id)}#{task['number']}",
            "title": task["title"],
            "status": task["status"],
            "priority": task["priority"],
            "due": local_time(task["deadline"]),
            "assignee": self.members(room_id).get(assignee, assignee) if assignee else "",
            "labels": task["labels"],
            "id": task["id"],
        }


def _assignee_id(session: Session, room_id: str, who: str) -> str | None:
    if who == "none":
        return None
    if who == "me":
        return session.call("GET", f"{API}/users/me")["id"]
    for member in session.pages(f"{API}/rooms/{room_id}/members", {"limit": 200}):
        if (member["username"] or "").lower() == who.lower():
            return member["user_id"]
    raise ClientError(f"{who!r} is not a member of this room.")


def _changes(
    session: Session,
    room_id: str,
    *,
    status: str | None = None,
    priority: str | None = None,
    due: str | None = None,
    assign: str | None = None,
    labels: list[str] | None = None,
    **text: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {key: value for key, value in text.items() if value is not None}
    body |= {k: v for k, v in (("status", status), ("priority", priority)) if v is not None}
    if due is not None:
        body["deadline"] = None if due == "none" else when.deadline(due)
    if assign is not None:
        body["assignee_id"] = _assignee_id(session, room_id, assign)
    if labels is not None:
        body["labels"] = labels
    return body


@app.command("list")
@reports_errors
def list_tasks(
    room: Annotated[str | None, typer.Argument(help="A room; without it, your open tasks.")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", "-s", help="Repeatable.")] = None,
    assignee: Annotated[
        str | None, typer.Option("--assignee", help="me, none, any, or a username.")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", "-l")] = None,
    due_before: Annotated[
        str | None, typer.Option(help="A time, like 'fri' or 2026-05-01.")
    ] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Text to look for.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most this many.")] = None,
    as_json: Json = False,
    columns: Columns = None,
) -> None:
    """A room's tasks, or without ROOM the open tasks assigned to you in every room.

    Example: tasksync tasks Launch --status pending --assignee me
    """
    with Session() as session:
        params: dict[str, Any] = {"limit": min(limit or 200, 200)}
        if room:
            found = refs.room(session, room)
            path = f"{API}/rooms/{found['id']}/tasks"
        else:
            found, path = None, f"{API}/tasks"
        if status:
            params["status"] = status
        if assignee in ("me", "none", "any"):
            params["assignee"] = assignee
        elif assignee:
            if found is None:
                raise ClientError("--assignee USERNAME needs a ROOM; use me, none or any.")
            params["assignee"] = _assignee_id(session, found["id"], assignee) or "none"
        params |= {k: v for k, v in (("label", label), ("q", search)) if v}
        if due_before:
            params["due_before"] = when.deadline(due_before)
        tasks: list[dict[str, Any]] = []
        with err.status("Fetching tasks…") as spinner:
            for task in session.pages(path, params):
                tasks.append(task)
                spinner.update(f"Fetching tasks… {len(tasks)}")
                if limit and len(tasks) >= limit:
                    break
        if as_json:
            print_json(tasks)
            return
        names = Names(session)
        print_rows([names.row(t) for t in tasks], COLUMNS, chosen=columns)


@app.command()
@reports_errors
def add(
    room: Annotated[str, typer.Argument(help="The room to add it to.")],
    title: Annotated[str, typer.Argument(help="What is to be done.")],
    description: Annotated[str | None, typer.Option(help="Markdown.")] = None,
    status: Status = None,
    priority: Priority = None,
    due: Due = None,
    assign: Assign = None,
    label: Labels = None,
    as_json: Json = False,
) -> None:
    """Add a task to a room.

    Example: tasksync tasks add Launch "Write the release notes" --due "fri 17:00" --assign me
    """
    with Session() as session:
        found = refs.room(session, room)
        body = {"title": title} | _changes(
            session,
            found["id"],
            status=status,
            priority=priority,
            due=due,
            assign=assign,
            labels=label,
            description=description,
        )
        task = session.call("POST", f"{API}/rooms/{found['id']}/tasks", json=body)
    if as_json:
        print_json(task)
        return
    typer.echo(f"Added {found['name']}#{task['number']} {task['title']}")


@app.command()
@reports_errors
def show(task: TaskRef, as_json: Json = False) -> None:
    """One task with every field.

    Example: tasksync tasks show Launch#12
    """
    with Session() as session:
        found = refs.task(session, task)
        row = Names(session).row(found)
    if as_json:
        print_json(found)
        return
    for key in ("ref", "title", "status", "priority", "due", "assignee", "labels", "id"):
        value = row[key]
        typer.echo(f"{key:>9}  {', '.join(value) if isinstance(value, list) else value}")
    if found["description"]:
        typer.echo(f"\n{found['description']}")


@app.command()
@reports_errors
def edit(
    task: TaskRef,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    description: Annotated[str | None, typer.Option(help="Markdown; '' clears it.")] = None,
    status: Status = None,
    priority: Priority = None,
    due: Due = None,
    assign: Assign = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="Replaces the labels; repeatable.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Change a task's fields (only those given).

    Example: tasksync tasks edit Launch#12 --status in_progress --priority high
    """
    with Session() as session:
        found = refs.task(session, task)
        body = _changes(
            session,
            found["room_id"],
            status=status,
            priority=priority,
            due=due,
            assign=assign,
            labels=label,
            title=title,
            description=description,
        )
        if not body:
            raise typer.BadParameter("give at least one field to change, e.g. --status")
        changed = session.call("PATCH", f"{API}/tasks/{found['id']}", json=body)
        ref = Names(session).row(changed)["ref"]
    if as_json:
        print_json(changed)
        return
    typer.echo(f"Updated {ref} {changed['title']} ({changed['status']})")


@app.command()
@reports_errors
def done(task: TaskRef) -> None:
    """Mark a task completed.

    Example: tasksync tasks done Launch#12
    """
    with Session() as session:
        found = refs.task(session, task)
        changed = session.call("PATCH", f"{API}/tasks/{found['id']}", json={"status": "completed"})
        ref = Names(session).row(changed)["ref"]
    typer.echo(f"Completed {ref} {changed['title']}")


@app.command("rm")
@reports_errors
def remove(task: TaskRef, yes: Yes = False) -> None:
    """Delete a task.

    Example: tasksync tasks rm Launch#12 --yes
    """
    with Session() as session:
        found = refs.task(session, task)
        ref = Names(session).row(found)["ref"]
        if not yes:
            typer.confirm(f"Delete {ref} {found['title']}?", abort=True)
        session.call("DELETE", f"{API}/tasks/{found['id']}")
    err.print(f"Deleted {ref}.", highlight=False)
