"""The one list of TaskSync's services: names, ports, public paths and what each needs.

Data only. The gateway's route table, the ports of the distributed mode, the supervisor, the
CLI, the deployment files and the tests all derive from it, so a new service is its folder
plus one entry here.

A public path is a prefix written as a template: `/api/v1/rooms/{room_id}/tasks` owns that
path and everything below it; `{name}` stands for one path segment. The most specific prefix
wins (see `owner`), so `/api/v1/tasks/{task_id}/comments` can never be shadowed by
`/api/v1/tasks`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    # Its port in the local distributed mode (the gateway's plus a fixed offset).
    port: int
    # Public path prefixes the gateway routes to it.
    paths: tuple[str, ...]
    # Services it calls or whose events it needs to be useful (start order, compose).
    depends_on: tuple[str, ...] = ()
    # The kit replicas it keeps ("room_roles", "known_users"): the owners of that data tell
    # it at once when access is taken away (see common/room_roles.py).
    keeps: tuple[str, ...] = ()
    # It takes file uploads: the gateway caps its request bodies at `files_max_bytes` (plus
    # the multipart framing) while streaming them; other bodies are the edge's business.
    uploads: bool = False
    # "module:attribute" of its `ServiceDefinition` (nothing for the gateway).
    definition: str = ""
    description: str = ""


GATEWAY = ServiceSpec(
    "gateway",
    8000,
    paths=("/api/v1/overview",),
    depends_on=(
        *("users", "rooms", "tasks", "comments", "files"),
        *("notifications", "activity", "reports"),
    ),
    description="The single public entry point.",
)

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "users",
        8001,
        paths=("/api/v1/auth", "/api/v1/users", "/api/v1/admin/users", "/.well-known/jwks.json"),
        definition="tasksync.users.app:definition",
        description="Accounts, sign-in and access tokens.",
    ),
    ServiceSpec(
        "rooms",
        8002,
        paths=("/api/v1/rooms",),
        depends_on=("users",),
        keeps=("known_users",),
        definition="tasksync.rooms.app:definition",
        description="Rooms, join codes, members and their roles.",
    ),
    ServiceSpec(
        "tasks",
        8003,
        paths=("/api/v1/rooms/{room_id}/tasks", "/api/v1/tasks"),
        depends_on=("rooms",),
        keeps=("room_roles",),
        definition="tasksync.tasks.app:definition",
        description="Tasks: status, priority, deadline, assignee, labels, order.",
    ),
    ServiceSpec(
        "comments",
        8004,
        paths=("/api/v1/tasks/{task_id}/comments", "/api/v1/comments"),
        depends_on=("users", "rooms", "tasks"),
        keeps=("room_roles", "known_users"),
        definition="tasksync.comments.app:definition",
        description="Discussions on tasks: comments, replies, mentions, edits, reactions.",
    ),
    ServiceSpec(
        "files",
        8005,
        paths=("/api/v1/tasks/{task_id}/files", "/api/v1/files"),
        depends_on=("rooms", "tasks"),
        keeps=("room_roles",),
        uploads=True,
        definition="tasksync.files.app:definition",
        description="Attachments of tasks, on a local volume or an S3-compatible store.",
    ),
    ServiceSpec(
        "notifications",
        8006,
        paths=(
            "/api/v1/notifications",
            "/api/v1/tasks/{task_id}/watch",
            "/api/v1/tasks/{task_id}/watchers",
            "/api/v1/rooms/{room_id}/webhooks",
        ),
        depends_on=("users", "rooms", "tasks", "comments"),
        keeps=("room_roles", "known_users"),
        definition="tasksync.notifications.app:definition",
        description="In-app notifications, e-mail, digests and deadline reminders.",
    ),
    ServiceSpec(
        "activity",
        8007,
        paths=(
            "/api/v1/rooms/{room_id}/activity",
            "/api/v1/tasks/{task_id}/activity",
            "/api/v1/users/me/activity",
            "/api/v1/admin/audit",
        ),
        depends_on=("users", "rooms", "tasks"),
        keeps=("room_roles",),
        definition="tasksync.activity.app:definition",
        description="The audit trail of everything that happened.",
    ),
    ServiceSpec(
        "reports",
        8008,
        paths=("/api/v1/rooms/{room_id}/reports", "/api/v1/reports"),
        depends_on=("rooms", "tasks"),
        keeps=("room_roles",),
        definition="tasksync.reports.app:definition",
        description="Dashboards, flow metrics and exports of rooms.",
    ),
    ServiceSpec(
        "realtime",
        8009,
        paths=("/api/v1/live",),
        depends_on=("rooms",),
        keeps=("room_roles",),
        definition="tasksync.realtime.app:definition",
        description="WebSocket connections that push every room event live.",
    ),
)

ALL: tuple[ServiceSpec, ...] = (GATEWAY, *SERVICES)
BY_NAME: dict[str, ServiceSpec] = {spec.name: spec for spec in ALL}
NAMES: tuple[str, ...] = tuple(spec.name for spec in SERVICES)


def keepers(replica: str) -> tuple[str, ...]:
    """The services that keep a replica of that kind."""
    return tuple(spec.name for spec in SERVICES if replica in spec.keeps)


def spec(name: str) -> ServiceSpec:
    """The service named `name`; a clear error lists the known ones."""
    if name not in BY_NAME:
        raise ValueError(f"Unknown service {name!r}; choose one of: {', '.join(BY_NAME)}.")
    return BY_NAME[name]


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _specificity(prefix: str) -> tuple[int, int]:
    """Longer prefixes first; at equal length, more literal segments first."""
    parts = _segments(prefix)
    return len(parts), sum(not part.startswith("{") for part in parts)


# (prefix segments, service), most specific first.
ROUTES: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(_segments(prefix)), service.name)
    for prefix, service in sorted(
        ((prefix, service) for service in ALL for prefix in service.paths),
        key=lambda item: _specificity(item[0]),
        reverse=True,
    )
)


def _matches(prefix: tuple[str, ...], parts: list[str]) -> bool:
    if len(parts) < len(prefix):
        return False
    return all(
        want == got or (want.startswith("{") and got != "")
        for want, got in zip(prefix, parts, strict=False)
    )


def owner(path: str) -> str | None:
    """The service that owns a public path, or None when none does."""
    parts = path.split("/")[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    for prefix, service in ROUTES:
        if _matches(prefix, parts):
            return service
    return None
