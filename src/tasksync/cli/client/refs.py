"""Naming things on the command line: a room by id, a unique prefix of its id, or its exact
name; a task by id or as `ROOM#NUMBER`."""

import uuid
from typing import Any

from tasksync.cli.client.session import API, ClientError, Session


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def room(session: Session, ref: str) -> dict[str, Any]:
    """The room `ref` names, among the caller's rooms."""
    if is_uuid(ref):
        return session.call("GET", f"{API}/rooms/{ref}")
    rooms = list(session.pages(f"{API}/rooms", {"limit": 200}))
    for matches in (
        [r for r in rooms if r["name"] == ref],
        [r for r in rooms if r["id"].startswith(ref.lower())],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"{r['name']} ({r['id'][:8]})" for r in matches)
            raise ClientError(f"{ref!r} names several rooms: {names}. Use more of the id.")
    raise ClientError(f"No room of yours is named {ref!r} or has an id starting with it.")


def task(session: Session, ref: str) -> dict[str, Any]:
    """The task `ref` names: an id, or `ROOM#NUMBER`."""
    if is_uuid(ref):
        return session.call("GET", f"{API}/tasks/{ref}")
    room_ref, hash_, number = ref.rpartition("#")
    if not hash_ or not room_ref or not number.isdigit() or int(number) < 1:
        raise ClientError(f"{ref!r} is not a task: give its id or ROOM#NUMBER, like Team#12.")
    found = room(session, room_ref)
    page = session.call(
        "GET", f"{API}/rooms/{found['id']}/tasks", params={"number": int(number), "limit": 1}
    )
    if not page["items"]:
        raise ClientError(f"There is no task #{number} in {found['name']}.")
    return page["items"][0]
