from pathlib import Path

from typer.testing import CliRunner

from tasksync.cli.main import app
from tasksync.common import registry

runner = CliRunner()


def test_status_lists_every_service_with_its_backlog(tmp_path: Path) -> None:
    result = runner.invoke(app, ["events", "status", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "outbox backlog" in result.output
    rows = {line.split("│")[1].strip() for line in result.output.splitlines() if "│" in line}
    assert set(registry.NAMES) <= rows, result.output


def test_dead_letters_says_when_there_are_none(tmp_path: Path) -> None:
    result = runner.invoke(app, ["events", "dead-letters", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "No dead letters." in result.output


def test_replay_needs_an_id_or_all(tmp_path: Path) -> None:
    result = runner.invoke(app, ["events", "replay", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--all" in result.output


def test_replay_of_an_unknown_dead_letter_fails_and_says_how_to_list_them(tmp_path: Path) -> None:
    missing = "01930000-0000-7000-8000-000000000000"
    result = runner.invoke(app, ["events", "replay", missing, "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "tasksync events dead-letters" in result.output
