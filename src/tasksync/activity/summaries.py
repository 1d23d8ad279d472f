"""What each event type becomes in the audit: its subject and a line for people.

One renderer per event type, in `RENDERERS`; a type without one fails the tests (and an
event of it is recorded with a plain line). A renderer is a pure function of the event and
the names known when it arrived (`Names`); it may teach names (`Rendered.learned`), say a
new task title, for the entries that follow.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from tasksync.common.events.catalog import Event

SUBJECTS = ("task", "comment", "file", "member", "room", "account")
# Field names that never reach an entry, whatever an event carries.
SECRET_WORDS = ("password", "token", "secret", "hash", "code", "email")


@dataclass(frozen=True)
class Names:
    """Labels of the users, rooms and tasks an event names, as known when it arrived."""

    labels: dict[UUID, str]
    actor_id: UUID | None

    def user(self, user_id: UUID | None) -> str:
        if user_id is None:
            return "nobody"
        return self.labels.get(user_id) or f"user {str(user_id)[:8]}"

    @property
    def actor(self) -> str:
        return "TaskSync" if self.actor_id is None else self.user(self.actor_id)

    def room(self, room_id: UUID | None) -> str:
        found = self.labels.get(room_id) if room_id else None
        return found or "a room"

    def task(self, task_id: UUID, number: int) -> str:
        return self.labels.get(task_id) or f"#{number}"


@dataclass(frozen=True)
class Rendered:
    subject_type: str
    subject_id: UUID | None
    subject_label: str | None
    summary: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    # Labels to keep for later entries: id -> (kind, label).
    learned: dict[UUID, tuple[str, str]] = field(default_factory=dict)


Renderer = Callable[[Event[Any], Names], Rendered]


def task_label(number: int, title: str) -> str:
    return f"#{number} {title}"[:300]


def _value(name: str, value: Any, names: Names) -> str:
    if value is None:
        return "none"
    if name == "assignee_id":
        return names.user(UUID(str(value)))
    if name in ("status", "priority"):
        return str(value).replace("_", " ")
    if name == "deadline":
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M UTC")
    if name == "labels":
        return ", ".join(value) or "none"
    return f"'{value}'"


# Fields whose values are too long for a summary line; the entry's changes still hold them.
_NAMED_ONLY = frozenset({"description", "position"})
_HIDDEN = frozenset({"completed_at"})


def _describe(change: dict[str, Any], names: Names) -> str:
    name = change["field"]
    label = name.removesuffix("_id")
    if name in _NAMED_ONLY:
        return label
    new = _value(name, change["new"], names)
    if "old" not in change:
        return f"{label} to {new}"
    return f"{label} from {_value(name, change['old'], names)} to {new}"


def field_changes(new: dict[str, Any], old: dict[str, Any] | None) -> list[dict[str, Any]]:
    """[{field, old, new}] in field order; "old" only when the event carried it."""
    found = []
    for name in sorted(new):
        if any(word in name for word in SECRET_WORDS):
            continue
        change = {"field": name, "new": new[name]}
        if old is not None and name in old:
            if old[name] == new[name]:
                continue
            change["old"] = old[name]
        found.append(change)
    return found


def _task_created(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    label = task_label(data.number, data.title)
    return Rendered(
        "task",
        data.task_id,
        label,
        f"{names.actor} created {label}",
        learned={data.task_id: ("task", label)},
    )


def _task_updated(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    # Version 1 events carry no old values: `previous` is then empty.
    changes = field_changes(data.changes, data.previous or None)
    label = names.task(data.task_id, data.number)
    shown = [change for change in changes if change["field"] not in _HIDDEN]
    learned = {}
    if "title" in data.changes:
        learned[data.task_id] = ("task", task_label(data.number, data.changes["title"]))
    if [change["field"] for change in shown] == ["status"]:
        status = _describe(shown[0], names).removeprefix("status ")
        summary = f"{names.actor} moved {label} {status}"
    else:
        summary = f"{names.actor} changed {label}: {'; '.join(_describe(c, names) for c in shown)}"
    return Rendered("task", data.task_id, label, summary, changes, learned)


def _task_deleted(event: Event[Any], names: Names) -> Rendered:
    label = names.task(event.data.task_id, event.data.number)
    return Rendered("task", event.data.task_id, label, f"{names.actor} deleted {label}")


def _room_created(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    return Rendered(
        "room",
        data.room_id,
        data.name,
        f"{names.actor} created the room {data.name}",
        learned={data.room_id: ("room", data.name)},
    )


def _room_updated(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    old = names.room(data.room_id)
    if "name" in data.changed and old != data.name:
        summary = f"{names.actor} renamed the room {old} to {data.name}"
    else:
        summary = f"{names.actor} changed the room {data.name}: {', '.join(data.changed)}"
    changes = [{"field": name} for name in data.changed]
    return Rendered(
        "room", data.room_id, data.name, summary, changes, {data.room_id: ("room", data.name)}
    )


def _room_deleted(event: Event[Any], names: Names) -> Rendered:
    room = names.room(event.data.room_id)
    return Rendered("room", event.data.room_id, room, f"{names.actor} deleted the room {room}")


def _code_rotated(event: Event[Any], names: Names) -> Rendered:
    room = names.room(event.data.room_id)
    summary = f"{names.actor} replaced the join code of {room}"
    return Rendered("room", event.data.room_id, room, summary)


def _member_added(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    who, room = names.user(data.user_id), names.room(data.room_id)
    if event.actor_id in (None, data.user_id):
        summary = f"{who} joined {room} as {data.role}"
    else:
        summary = f"{names.actor} added {who} to {room} as {data.role}"
    return Rendered("member", data.user_id, who, summary)


def _member_role_changed(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    who = names.user(data.user_id)
    summary = f"{names.actor} made {who} {data.role} (was {data.previous_role})"
    changes = [{"field": "role", "old": data.previous_role, "new": data.role}]
    return Rendered("member", data.user_id, who, summary, changes)


def _member_removed(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    who, room = names.user(data.user_id), names.room(data.room_id)
    if event.actor_id == data.user_id:
        summary = f"{who} left {room}"
    else:
        summary = f"{names.actor} removed {who} from {room}"
    return Rendered("member", data.user_id, who, summary)


def _account(verb: str) -> Renderer:
    """An account event whose line is `<account> <verb>`."""

    def render(event: Event[Any], names: Names) -> Rendered:
        who = names.user(event.data.user_id)
        return Rendered("account", event.data.user_id, who, f"{who} {verb}")

    return render


def _by_admin(verb: str) -> Renderer:
    """An account event done by someone (an administrator): `<actor> <verb> <account>`."""

    def render(event: Event[Any], names: Names) -> Rendered:
        who = names.user(event.data.user_id)
        return Rendered("account", event.data.user_id, who, f"{names.actor} {verb} {who}")

    return render


def _registered(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    return Rendered(
        "account",
        data.user_id,
        data.username,
        f"{data.username} created an account",
        learned={data.user_id: ("user", data.username)},
    )


def _profile_updated(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    old = names.user(data.user_id)
    if "username" in data.changed and old != data.username:
        summary = f"{old} is now called {data.username}"
    else:
        summary = f"{data.username} changed their {', '.join(data.changed)}"
    changes = [{"field": name} for name in data.changed]
    learned = {data.user_id: ("user", data.username)}
    return Rendered("account", data.user_id, data.username, summary, changes, learned)


def _signed_in(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    return Rendered("account", data.user_id, data.username, f"{data.username} signed in")


def _sign_in_failed(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    times = "once" if data.failures == 1 else f"{data.failures} times"
    minute = data.minute.strftime("%Y-%m-%d %H:%M UTC")
    summary = f"signing in as {data.username} failed {times} (minute {minute})"
    changes = [{"field": "failures", "new": data.failures}]
    return Rendered("account", data.user_id, data.username, summary, changes)


def _comment_line(verb: str) -> Renderer:
    """A comment event: `<actor> <verb> on <task>`, naming those a new text mentions."""

    def render(event: Event[Any], names: Names) -> Rendered:
        data = event.data
        task = names.labels.get(data.task_id) or "a task"
        summary = f"{names.actor} {verb} on {task}"
        if verb == "commented" and data.parent_id is not None:
            summary = f"{names.actor} replied to a comment on {task}"
        if mentioned := getattr(data, "mentioned_user_ids", None):
            summary += f", mentioning {', '.join(names.user(user) for user in mentioned)}"
        return Rendered("comment", data.comment_id, f"a comment on {task}", summary)

    return render


def _reaction(verb: str, preposition: str) -> Renderer:
    """A reaction event: `<who> <verb> <emoji> <preposition> <author>'s comment on <task>`."""

    def render(event: Event[Any], names: Names) -> Rendered:
        data = event.data
        task = names.labels.get(data.task_id) or "a task"
        author = names.user(data.author_id) if data.author_id else "a deleted account"
        who = names.user(data.user_id)
        summary = f"{who} {verb} {data.emoji} {preposition} {author}'s comment on {task}"
        return Rendered("comment", data.comment_id, f"a comment on {task}", summary)

    return render


def _file_uploaded(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    task = names.labels.get(data.task_id) or "a task"
    summary = f"{names.actor} attached {data.name} to {task}"
    return Rendered(
        "file", data.file_id, data.name, summary, learned={data.file_id: ("file", data.name)}
    )


def _file_deleted(event: Event[Any], names: Names) -> Rendered:
    data = event.data
    task = names.labels.get(data.task_id) or "a task"
    name = names.labels.get(data.file_id) or "a file"
    return Rendered("file", data.file_id, name, f"{names.actor} removed {name} from {task}")


def _notified(event: Event[Any], names: Names) -> Rendered:
    """Only that someone was notified and of what kind: the text stays in their inbox."""
    data = event.data
    who = names.user(data.user_id)
    kind = data.kind.replace("_", " ")
    return Rendered("account", data.user_id, who, f"{who} was notified: {kind}")


RENDERERS: dict[str, Renderer] = {
    "user.registered": _registered,
    "user.updated": _profile_updated,
    "user.deactivated": _by_admin("deactivated"),
    "user.reactivated": _by_admin("reactivated"),
    "user.deleted": _account("deleted their account"),
    "user.signed_in": _signed_in,
    "user.sign_in_failed": _sign_in_failed,
    "user.signed_out": _account("signed out"),
    "user.password_changed": _account("changed their password"),
    "user.token_reuse_detected": _account(
        "had a used refresh token presented again; that session was signed out"
    ),
    "user.admin_granted": _by_admin("made a system administrator:"),
    "user.admin_removed": _by_admin("removed system administration from"),
    # The token these carry never reaches an entry: only that the message was asked for.
    "user.email_verification_requested": _account("was sent an e-mail address verification"),
    "user.email_verified": _account("verified their e-mail address"),
    "user.email_removed": _account("removed their e-mail address"),
    "user.password_reset_requested": _account("was sent a password reset link"),
    "room.created": _room_created,
    "room.updated": _room_updated,
    "room.deleted": _room_deleted,
    "room.code_rotated": _code_rotated,
    "member.added": _member_added,
    "member.role_changed": _member_role_changed,
    "member.removed": _member_removed,
    "task.created": _task_created,
    "task.updated": _task_updated,
    "task.deleted": _task_deleted,
    "comment.created": _comment_line("commented"),
    "comment.updated": _comment_line("edited a comment"),
    "comment.deleted": _comment_line("deleted a comment"),
    "reaction.added": _reaction("reacted with", "to"),
    "reaction.removed": _reaction("took back", "from"),
    "file.uploaded": _file_uploaded,
    "file.deleted": _file_deleted,
    "notification.created": _notified,
}


def render(event: Event[Any], names: Names) -> Rendered:
    renderer = RENDERERS.get(event.envelope.type)
    if renderer is None:
        return Rendered("room" if event.room_id else "account", None, None, event.envelope.type)
    return renderer(event, names)
