"""The command-line client against a real `tasksync up`, run as a subprocess the way a person
or a script runs it: sign-in and its stored token, rooms, tasks, the raw `api` mode, and the
documented exit codes (0 done, 1 an API error, 2 usage, 3 cannot connect)."""

import json
import stat
import uuid
from pathlib import Path

import pytest

from tests.cli.client_server import PASSWORD, InTerminal, Terminal, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cli-client")]


@pytest.fixture
def ann(cli_server: str, tmp_path: Path) -> Terminal:
    """A signed-up person with a fresh config folder (usernames differ per test: one server
    serves the whole module)."""
    terminal = Terminal(cli_server, tmp_path / "ann-config")
    terminal.register(f"ann{uuid.uuid4().hex[:8]}")
    return terminal


def _room(terminal: Terminal, name: str) -> dict:
    return json.loads(terminal.ok("rooms", "create", name, "--json"))


class TestSigningIn:
    def test_register_keeps_the_sign_in_in_a_file_only_its_owner_can_read(
        self, cli_server: str, tmp_path: Path
    ) -> None:
        ann = Terminal(cli_server, tmp_path / "config")
        name = f"ann{uuid.uuid4().hex[:8]}"
        ann.register(name)
        stored = ann.config / "profiles.json"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert stat.S_IMODE(ann.config.stat().st_mode) == 0o700
        profile = json.loads(stored.read_text())["profiles"]["default"]
        assert (profile["username"], profile["url"]) == (name, cli_server)
        assert PASSWORD not in stored.read_text()
        me = json.loads(ann.ok("whoami", "--json"))
        assert me["username"] == name

    def test_login_with_a_wrong_password_exits_1_and_says_why(self, ann: Terminal) -> None:
        me = json.loads(ann.ok("whoami", "--json"))
        done = ann.run("login", "-u", me["username"], "--password-stdin", stdin="wrong\n")
        assert done.returncode == 1
        assert "Authentication required (401): Wrong username or password." in done.stderr

    def test_an_expired_access_token_is_refreshed_without_a_word(self, ann: Terminal) -> None:
        stored = ann.config / "profiles.json"
        saved = json.loads(stored.read_text())
        saved["profiles"]["default"]["access_token"] = "expired.or.forged"
        stored.write_text(json.dumps(saved))
        assert ann.run("whoami").returncode == 0
        refreshed = json.loads(stored.read_text())["profiles"]["default"]
        assert refreshed["access_token"] != "expired.or.forged"
        assert refreshed["refresh_token"] != saved["profiles"]["default"]["refresh_token"]

    def test_after_logout_commands_ask_to_sign_in(self, ann: Terminal) -> None:
        ann.ok("logout")
        done = ann.run("rooms")
        assert done.returncode == 1
        assert "Not signed in" in done.stderr
        assert "tasksync login" in done.stderr

    def test_profiles_keep_two_accounts_apart(self, ann: Terminal) -> None:
        name = f"bob{uuid.uuid4().hex[:8]}"
        ann.ok("register", "--profile", "bob", "-u", name, "--password-stdin", stdin=PASSWORD)
        as_bob = ann.run("whoami", env=ann.env(TASKSYNC_PROFILE="bob"))
        assert as_bob.stdout.startswith(name)
        assert ann.ok("whoami", "--profile", "bob").startswith(name)

    def test_a_registration_that_conflicts_exits_1_with_the_problem(self, ann: Terminal) -> None:
        me = json.loads(ann.ok("whoami", "--json"))
        done = ann.run("register", "-u", me["username"], "--password-stdin", stdin=PASSWORD)
        assert done.returncode == 1
        assert "Conflict (409): That username is already taken." in done.stderr


class TestRooms:
    def test_create_list_show_join_members_and_leave(self, ann: Terminal, tmp_path: Path) -> None:
        room = _room(ann, "Launch")
        listed = json.loads(ann.ok("rooms", "--json"))
        assert [r["name"] for r in listed] == ["Launch"]
        table = ann.ok("rooms", "--columns", "name,role")
        assert "Launch" in table
        assert "owner" in table
        assert room["id"] not in table
        assert room["code"] in ann.ok("rooms", "show", room["id"][:8])
        bob = Terminal(ann.url, tmp_path / "bob")
        bob.register(f"bob{uuid.uuid4().hex[:8]}")
        assert "Joined Launch as member." in bob.ok("rooms", "join", room["code"])
        people = json.loads(ann.ok("rooms", "members", "Launch", "--json"))
        assert sorted(p["role"] for p in people) == ["member", "owner"]
        assert "You left Launch." in bob.run("rooms", "leave", "Launch", "--yes").stderr
        assert json.loads(bob.ok("rooms", "--json")) == []

    def test_an_unknown_room_exits_1_and_names_it(self, ann: Terminal) -> None:
        done = ann.run("rooms", "show", "Nowhere")
        assert done.returncode == 1
        assert "No room of yours is named 'Nowhere'" in done.stderr
        missing = ann.run("rooms", "show", str(uuid.uuid4()))
        assert missing.returncode == 1
        assert "(404)" in missing.stderr


class TestTasks:
    def test_add_list_show_edit_finish_and_remove_by_room_and_number(self, ann: Terminal) -> None:
        _room(ann, "Launch")
        added = ann.ok(
            "tasks", "add", "Launch", "Write notes", "--due", "tomorrow 17:00",
            "--assign", "me", "--label", "docs", "--priority", "high",
        )  # fmt: skip
        assert added.strip() == "Added Launch#1 Write notes"
        ann.ok("tasks", "add", "Launch", "Second")
        tasks = json.loads(ann.ok("tasks", "Launch", "--json"))
        assert [(t["number"], t["priority"], t["labels"]) for t in tasks] == [
            (1, "high", ["docs"]),
            (2, "none", []),
        ]
        assert tasks[0]["deadline"] is not None
        mine = json.loads(ann.ok("tasks", "--json"))
        assert [t["title"] for t in mine] == ["Write notes"]
        table = ann.ok("tasks", "Launch", "--columns", "ref,title,assignee")
        assert "Launch#1" in table
        assert "Write notes" in table
        assert "ann" in table
        assert "Second" in ann.ok("tasks", "show", "Launch#2")
        assert "(in_progress)" in ann.ok("tasks", "edit", "Launch#2", "--status", "in_progress")
        assert ann.ok("tasks", "done", "Launch#1").startswith("Completed Launch#1")
        statuses = {
            t["number"]: t["status"] for t in json.loads(ann.ok("tasks", "Launch", "--json"))
        }
        assert statuses == {1: "completed", 2: "in_progress"}
        assert "Deleted Launch#2." in ann.run("tasks", "rm", "Launch#2", "--yes").stderr
        assert len(json.loads(ann.ok("tasks", "Launch", "--json"))) == 1

    def test_a_bad_field_exits_1_with_the_field_named(self, ann: Terminal) -> None:
        _room(ann, "Launch")
        ann.ok("tasks", "add", "Launch", "One")
        done = ann.run("tasks", "edit", "Launch#1", "--priority", "critical")
        assert done.returncode == 1
        assert "Invalid request (422)" in done.stderr
        assert "- priority:" in done.stderr

    def test_a_missing_task_number_exits_1(self, ann: Terminal) -> None:
        _room(ann, "Launch")
        done = ann.run("tasks", "show", "Launch#7")
        assert (done.returncode, done.stderr.strip()) == (
            1,
            "error: There is no task #7 in Launch.",
        )

    def test_a_deadline_nobody_can_read_is_a_usage_error(self, ann: Terminal) -> None:
        _room(ann, "Launch")
        done = ann.run("tasks", "add", "Launch", "Odd", "--due", "when pigs fly")
        assert done.returncode == 2
        assert "cannot read 'when pigs fly' as a time" in done.stderr


class TestRawApi:
    def test_a_body_from_a_file_and_from_standard_input(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        body = tmp_path / "room.json"
        body.write_text(json.dumps({"name": "From a file"}))
        created = ann.run("api", "POST", "/api/v1/rooms", "-d", f"@{body}", "-i")
        assert created.returncode == 0
        assert created.stdout.startswith("HTTP 201 Created")
        assert "content-type: application/json" in created.stdout
        room = json.loads(created.stdout.split("\n\n", 1)[1])
        piped = ann.run(
            "api", "PATCH", f"/api/v1/rooms/{room['id']}", "-d", "-",
            stdin=json.dumps({"description": "piped"}),
        )  # fmt: skip
        assert json.loads(piped.stdout)["description"] == "piped"

    def test_an_error_answer_is_printed_and_exits_1(self, ann: Terminal) -> None:
        done = ann.run("api", "GET", f"/api/v1/rooms/{uuid.uuid4()}")
        assert done.returncode == 1
        assert json.loads(done.stdout)["status"] == 404

    def test_operations_are_listed_and_called_by_id(self, ann: Terminal) -> None:
        operations = json.loads(ann.ok("api", "--list", "--json"))
        create = next(
            o for o in operations if (o["method"], o["path"]) == ("POST", "/api/v1/rooms")
        )
        table = ann.ok("api", "--list", "--columns", "method,path")
        assert "/api/v1/rooms/{room_id}" in table
        assert create["operation"] not in table
        room = json.loads(ann.ok("api", create["operation"], "-d", '{"name": "By id"}'))
        get = next(
            o for o in operations if (o["method"], o["path"]) == ("GET", "/api/v1/rooms/{room_id}")
        )
        shown = json.loads(ann.ok("api", get["operation"], "-p", f"room_id={room['id']}"))
        assert shown["name"] == "By id"
        needs = ann.run("api", get["operation"])
        assert needs.returncode == 2
        assert "-p room_id=..." in needs.stderr

    def test_a_body_that_is_not_json_is_a_usage_error(self, ann: Terminal) -> None:
        done = ann.run("api", "POST", "/api/v1/rooms", "-d", "{name: x}")
        assert done.returncode == 2
        assert "the body is not JSON" in done.stderr


def test_a_server_that_is_not_there_exits_3_with_a_hint(tmp_path: Path) -> None:
    nowhere = Terminal(f"http://127.0.0.1:{free_port()}", tmp_path / "config")
    done = nowhere.run("login", "-u", "ann", "--password-stdin", stdin="x\n")
    assert done.returncode == 3
    assert f"cannot connect to TaskSync at {nowhere.url}" in done.stderr
    assert "tasksync up" in done.stderr


def test_an_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    done = Terminal("http://127.0.0.1:9", tmp_path).run("rooms", "--colour")
    assert done.returncode == 2


def test_interactive_login_does_not_echo_the_password(ann: Terminal) -> None:
    me = json.loads(ann.ok("whoami", "--json"))
    login = InTerminal(["login", "-u", me["username"]], ann.env())
    try:
        # click prints "Password:", then getpass turns echo off and prints the last " ".
        login.read_until(b"Password: ")
        login.type(PASSWORD)
        login.read_until(b"Signed in")
    finally:
        assert login.finish() == 0
    assert PASSWORD.encode() not in login.seen
