"""`tasksync inbox` against a real `tasksync up`: what others did for you arrives, and reading
marks it, run as subprocesses the way a person runs them."""

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.client_server import Terminal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cli-client-work")]


def _person(url: str, folder: Path, name: str) -> Terminal:
    terminal = Terminal(url, folder / f"{name}-config")
    terminal.register(f"{name}{uuid.uuid4().hex[:8]}")
    return terminal


def _unread(terminal: Terminal, expected: int) -> list[dict[str, Any]]:
    """The unread notifications once there are `expected` (they travel as events)."""
    deadline = time.monotonic() + 15
    while True:
        found = json.loads(terminal.ok("inbox", "--unread", "--json"))
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


class TestInbox:
    def test_an_assignment_arrives_and_reading_it_empties_the_unread(
        self, cli_server: str, tmp_path: Path
    ) -> None:
        ann = _person(cli_server, tmp_path, "ann")
        bob = _person(cli_server, tmp_path, "bob")
        ann.ok("rooms", "create", "Launch")
        bob.ok("rooms", "join", json.loads(ann.ok("rooms", "show", "Launch", "--json"))["code"])
        bob_name = json.loads(bob.ok("whoami", "--json"))["username"]
        ann.ok("tasks", "add", "Launch", "Write notes", "--assign", bob_name)

        [assigned] = _unread(bob, 1)
        assert assigned["kind"] == "assigned"
        assert "Write notes" in assigned["text"]
        table = bob.ok("inbox")
        assert "1 unread" in table
        assert "Write notes" in table
        assert json.loads(ann.ok("inbox", "--unread", "--json")) == []  # not for her own act

        refused = ann.run("inbox", "read", assigned["id"])  # someone else's: no such thing
        assert refused.returncode == 1
        assert "404" in refused.stderr
        assert bob.ok("inbox", "read", "--all").strip() == "Marked 1 read."
        assert json.loads(bob.ok("inbox", "--unread", "--json")) == []
        assert len(json.loads(bob.ok("inbox", "--json"))) == 1

    def test_read_needs_ids_or_all(self, cli_server: str, tmp_path: Path) -> None:
        ann = _person(cli_server, tmp_path, "ann")
        done = ann.run("inbox", "read")
        assert done.returncode == 2
        assert "--all" in done.stderr
