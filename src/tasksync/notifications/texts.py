"""The line each notification shows: plain text, built from names known when it happened
(escaping is the e-mail templates' business, never done here)."""

from tasksync.notifications.models import TaskFacts


def task_label(task: TaskFacts | None) -> str:
    return f"#{task.number} {task.title}" if task is not None else "a task"


def status_label(status: str) -> str:
    return status.replace("_", " ")


def line(kind: str, *, actor: str, task: str = "", room: str = "", detail: str = "") -> str:
    lines = {
        "assigned": f"{actor} assigned you {task}",
        "mentioned": f"{actor} mentioned you on {task}",
        "commented": f"{actor} commented on {task}",
        "status_changed": f"{actor} moved {task} to {detail}",
        "deadline_soon": f"{task} is due {detail}",
        "deadline_passed": f"{task} is past its deadline ({detail})",
        "added_to_room": f"{actor} added you to {room} as {detail}",
        "role_changed": f"{actor} made you {detail} in {room}",
        "removed_from_room": f"{actor} removed you from {room}",
        "ownership_received": f"{actor} handed you ownership of {room}",
    }
    return lines[kind]
