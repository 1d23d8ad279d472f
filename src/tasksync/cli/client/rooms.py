"""`tasksync rooms`: list, create, join, show, members, leave."""

from typing import Annotated, Any

import typer

from tasksync.cli.client import refs
from tasksync.cli.client.options import Columns, Json, ListByDefault, Yes
from tasksync.cli.client.output import err, print_json, print_rows, reports_errors, when
from tasksync.cli.client.session import API, Session

app = typer.Typer(cls=ListByDefault, help="Your rooms (`tasksync rooms` lists them).")

Room = Annotated[str, typer.Argument(help="An id, a unique start of one, or the exact name.")]


def _row(room: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": room["name"],
        "role": room["my_role"],
        "members": room["member_count"],
        "code": room["code"],
        "id": room["id"],
    }


@app.command("list")
@reports_errors
def list_rooms(as_json: Json = False, columns: Columns = None) -> None:
    """The rooms you are in, with your role.

    Example: tasksync rooms --columns name,role
    """
    with Session() as session:
        rooms = list(session.pages(f"{API}/rooms", {"limit": 200}))
    if as_json:
        print_json(rooms)
        return
    print_rows([_row(r) for r in rooms], ["name", "role", "members", "code", "id"], chosen=columns)


@app.command()
@reports_errors
def create(
    name: Annotated[str, typer.Argument(help="The room's name.")],
    description: Annotated[str | None, typer.Option(help="What the room is for.")] = None,
    as_json: Json = False,
) -> None:
    """Create a room; you are its owner.

    Example: tasksync rooms create "Launch" --description "Q3 launch"
    """
    body = {"name": name} | ({"description": description} if description else {})
    with Session() as session:
        room = session.call("POST", f"{API}/rooms", json=body)
    if as_json:
        print_json(room)
        return
    typer.echo(f"Created {room['name']} ({room['id']}); join code {room['code']}")


@app.command()
@reports_errors
def join(
    code: Annotated[str, typer.Argument(help="The room's join code.")], as_json: Json = False
) -> None:
    """Join a room by its code, as a member.

    Example: tasksync rooms join K7Q2M9XPA
    """
    with Session() as session:
        room = session.call("POST", f"{API}/rooms/join", json={"code": code})
    if as_json:
        print_json(room)
        return
    typer.echo(f"Joined {room['name']} as {room['my_role']}.")


@app.command()
@reports_errors
def show(room: Room, as_json: Json = False) -> None:
    """A room's details.

    Example: tasksync rooms show Launch
    """
    with Session() as session:
        found = refs.room(session, room)
    if as_json:
        print_json(found)
        return
    for key in ("name", "description", "my_role", "member_count", "code", "id", "created_at"):
        value = when(found[key]) if key == "created_at" else found[key]
        typer.echo(f"{key:>13}  {'' if value is None else value}")


@app.command()
@reports_errors
def members(room: Room, as_json: Json = False, columns: Columns = None) -> None:
    """Who is in a room, with their roles.

    Example: tasksync rooms members Launch --json
    """
    with Session() as session:
        found = refs.room(session, room)
        people = list(session.pages(f"{API}/rooms/{found['id']}/members", {"limit": 200}))
    if as_json:
        print_json(people)
        return
    rows = [
        {
            "username": p["username"],
            "role": p["role"],
            "joined": when(p["joined_at"]),
            "user_id": p["user_id"],
        }
        for p in people
    ]
    print_rows(rows, ["username", "role", "joined", "user_id"], chosen=columns, title=found["name"])


@app.command()
@reports_errors
def leave(room: Room, yes: Yes = False) -> None:
    """Leave a room. The last member to leave deletes it with everything in it.

    Example: tasksync rooms leave Launch --yes
    """
    with Session() as session:
        found = refs.room(session, room)
        if not yes:
            typer.confirm(f"Leave {found['name']}?", abort=True)
        me = session.call("GET", f"{API}/users/me")
        session.call("DELETE", f"{API}/rooms/{found['id']}/members/{me['id']}")
    err.print(f"You left {found['name']}.", highlight=False)
