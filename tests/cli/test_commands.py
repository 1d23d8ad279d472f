"""The operator commands, run as a person would (in-process through Typer's runner)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tasksync import stack
from tasksync.cli.main import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_migrate_all_creates_every_database(data_dir: Path) -> None:
    result = runner.invoke(app, ["migrate", "all", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert (data_dir / "users.db").exists()
    assert "migrated users" in result.output


def test_migrate_an_unknown_service_fails_with_the_choices(data_dir: Path) -> None:
    result = runner.invoke(app, ["migrate", "nope", "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert "users" in result.output


def test_promote_an_unknown_user_says_so(data_dir: Path) -> None:
    result = runner.invoke(app, ["users", "promote", "ghost", "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert "No user named 'ghost'" in result.output


def test_rotate_key_prints_the_new_key_id(data_dir: Path) -> None:
    first = runner.invoke(app, ["users", "rotate-key", "--data-dir", str(data_dir)])
    second = runner.invoke(app, ["users", "rotate-key", "--data-dir", str(data_dir)])
    assert first.exit_code == second.exit_code == 0
    assert first.output.split()[-1] != second.output.split()[-1]


def test_serve_an_unknown_service_fails_with_the_choices() -> None:
    result = runner.invoke(app, ["serve", "nope"])
    assert result.exit_code == 1
    assert "gateway, users" in result.output


@pytest.mark.parametrize("replicas", ["nope=2", "tasks=0", "tasks", "tasks=two"])
def test_bad_replica_counts_are_refused_before_anything_starts(replicas: str) -> None:
    result = runner.invoke(app, ["up", "--distributed", "--replicas", replicas])
    assert result.exit_code == 1
    assert "SERVICE=N" in result.output


def test_distributed_ports_follow_the_gateway_port() -> None:
    from tasksync.cli.supervisor import plan

    assert plan({"tasks": 2}, 9000) == {
        "users": [9001],
        "rooms": [9002],
        "tasks": [9003, 9103],
        "comments": [9004],
        "activity": [9007],
        "reports": [9008],
        "realtime": [9009],
        "files": [9005],
        "notifications": [9006],
        "gateway": [9000],
    }


def test_a_service_process_loads_neither_the_cli_libraries_nor_other_services(
    tmp_path: Path,
) -> None:
    """`tasksync serve NAME` is what every distributed process runs for days: what it imports
    it keeps (docs/performance.md, Memory)."""
    probe = (
        "import json, sys\n"
        "import tasksync.cli.server as server\n"
        "server.serve_app = lambda app, **options: print(json.dumps("
        "[options['port'], options['host'], sorted(sys.modules)]))\n"
        "from tasksync.cli.entry import main\n"
        f"sys.argv = ['tasksync', 'serve', 'tasks', '--data-dir', {str(tmp_path)!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "TASKSYNC_PORT": "18123", "TASKSYNC_LOG_LEVEL": "warning"},
    )
    port, host, loaded = json.loads(done.stdout.splitlines()[-1])
    assert (port, host) == (18123, "127.0.0.1")
    assert "tasksync.tasks.app" in loaded
    assert not [m for m in loaded if m.startswith(("typer", "tasksync.cli.client", "alembic"))]
    others = [f"tasksync.{name}" for name in stack.SERVICES if name != "tasks"]
    assert not [m for m in loaded if ".".join(m.split(".")[:2]) in others]


def test_serve_with_help_or_a_bad_option_goes_through_the_full_cli() -> None:
    from tasksync.cli.serve import run

    assert run(["--help"]) is False
    assert run(["tasks", "--no-such-option"]) is False
    assert run(["nope"]) is False
