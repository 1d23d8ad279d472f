"""The client's commands as a whole: each has help with an example, and a client command
starts without loading any server code (the reason `cli/entry.py` exists)."""

import json
import subprocess
import sys
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tasksync.cli.client.app import COMMANDS, app

runner = CliRunner()


def _paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if getattr(command, "commands", None):
        return [p for name, sub in command.commands.items() for p in _paths(sub, (*path, name))]
    return [path]


COMMAND_PATHS = _paths(typer.main.get_command(app))


def test_the_first_words_of_every_client_command_are_known_to_the_entry_point() -> None:
    assert {path[0] for path in COMMAND_PATHS} == COMMANDS


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "Example: tasksync " in shown.output


SERVER_SIDE = ("sqlalchemy", "fastapi", "uvicorn", "alembic", "tasksync.common", "tasksync.users")


def test_a_client_command_loads_no_server_code() -> None:
    probe = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from tasksync.cli.client.app import COMMANDS, app\n"
        "for word in sorted(COMMANDS):\n"
        "    assert CliRunner().invoke(app, [word, '--help']).exit_code == 0, word\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    ours = {m for m in loaded if m.startswith("tasksync.")}
    assert ours <= {"tasksync.cli", "tasksync.cli.watch"} | {
        m for m in ours if m.startswith("tasksync.cli.client")
    }
    assert not [m for m in loaded if m.startswith(SERVER_SIDE)]
