"""The client's commands around a task, against a real `tasksync up` (its attachments capped
at `UPLOAD_LIMIT`, so "too large" is cheap to reach): `comment` and `comments`, `attach`, `files`
and `download`, and `watch`, run as subprocesses the way a person runs them."""

import hashlib
import json
import uuid
from pathlib import Path

import pytest

from tests.cli.client_server import UPLOAD_LIMIT as LIMIT
from tests.cli.client_server import Terminal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cli-client-work")]


@pytest.fixture
def ann(cli_server: str, tmp_path: Path) -> Terminal:
    """Signed up, with a room Launch holding task #1."""
    terminal = Terminal(cli_server, tmp_path / "ann-config")
    terminal.register(f"ann{uuid.uuid4().hex[:8]}")
    terminal.ok("rooms", "create", "Launch")
    terminal.ok("tasks", "add", "Launch", "Write notes")
    return terminal


def _bob_in_launch(ann: Terminal, tmp_path: Path) -> Terminal:
    bob = Terminal(ann.url, tmp_path / "bob-config")
    bob.register(f"bob{uuid.uuid4().hex[:8]}")
    code = json.loads(ann.ok("rooms", "show", "Launch", "--json"))["code"]
    bob.ok("rooms", "join", code)
    return bob


def _file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    path.write_bytes(hashlib.sha256(name.encode()).digest() * (size // 32) + b"x" * (size % 32))
    return path


class TestComments:
    def test_comment_from_an_argument_and_standard_input_then_list_them(
        self, ann: Terminal
    ) -> None:
        said = ann.ok("comment", "Launch#1", "Draft is in the shared folder")
        assert said.startswith("Commented on Launch#1: ")
        first = said.split(": ")[1].strip()
        ann.ok("comment", "Launch#1", "-", stdin="Looks good\n")
        ann.ok("comment", "Launch#1", "Agreed", "--reply-to", first)
        task_id = json.loads(ann.ok("tasks", "show", "Launch#1", "--json"))["id"]
        listed = json.loads(ann.ok("comments", task_id, "--json"))  # by id, as by ROOM#NUMBER
        assert [c["body"].strip() for c in listed] == [
            "Draft is in the shared folder",
            "Looks good",
            "Agreed",
        ]
        assert listed[2]["parent_id"] == first
        table = ann.ok("comments", "Launch#1", "--columns", "author,comment")
        assert "Draft is in the shared folder" in table
        assert "↳ Agreed" in table
        assert first not in table
        newest = json.loads(ann.ok("comments", "Launch#1", "--newest-first", "--json"))
        assert newest[0]["body"] == "Agreed"

    def test_a_blank_comment_exits_1_with_the_field_named(self, ann: Terminal) -> None:
        done = ann.run("comment", "Launch#1", "   ")
        assert done.returncode == 1
        assert "Invalid request (422)" in done.stderr
        assert "- body:" in done.stderr
        assert json.loads(ann.ok("comments", "Launch#1", "--json")) == []

    def test_someone_outside_the_room_cannot_name_its_task(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        task_id = json.loads(ann.ok("tasks", "show", "Launch#1", "--json"))["id"]
        eve = Terminal(ann.url, tmp_path / "eve-config")
        eve.register(f"eve{uuid.uuid4().hex[:8]}")
        by_id = eve.run("comment", task_id, "Hello?")
        assert by_id.returncode == 1
        assert "(404)" in by_id.stderr
        assert eve.run("comments", "Launch#1").returncode == 1


class TestAttachments:
    def test_attach_list_and_download_into_this_folder(self, ann: Terminal, tmp_path: Path) -> None:
        notes = _file(tmp_path, "notes.txt", 40_000)
        attached = ann.run("attach", "Launch#1", str(notes))
        assert attached.returncode == 0, attached.stderr
        assert attached.stdout.startswith("Attached notes.txt (39.1 KiB) to Launch#1: ")
        assert "notes.txt" in attached.stderr  # the progress bar's label
        [listed] = json.loads(ann.ok("files", "Launch#1", "--json"))
        assert (listed["name"], listed["size"]) == ("notes.txt", 40_000)
        table = ann.ok("files", "Launch#1", "--columns", "name,size,uploaded_by")
        assert "39.1 KiB" in table
        assert "ann" in table
        here = tmp_path / "downloads"
        here.mkdir()
        done = ann.run("download", listed["id"], cwd=here)
        assert done.returncode == 0, done.stderr
        assert (here / "notes.txt").read_bytes() == notes.read_bytes()
        assert "Saved" in done.stderr
        assert sorted(p.name for p in here.iterdir()) == ["notes.txt"]

    def test_download_keeps_an_existing_file_unless_forced(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        notes = _file(tmp_path, "notes.txt", 1000)
        file_id = json.loads(ann.ok("attach", "Launch#1", str(notes), "--json"))["id"]
        target = tmp_path / "mine.txt"
        target.write_text("keep me")
        refused = ann.run("download", file_id, "-o", str(target))
        assert refused.returncode == 1
        assert f"{target} already exists; use --force" in refused.stderr
        assert target.read_text() == "keep me"
        ann.ok("download", file_id, "-o", str(target), "--force")
        assert target.read_bytes() == notes.read_bytes()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == []

    def test_download_into_a_folder_uses_the_servers_name(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        odd = _file(tmp_path, 'a "quoted" name.txt', 10)
        created = json.loads(ann.ok("attach", "Launch#1", str(odd), "--json"))
        assert created["name"] == "a _quoted_ name.txt"  # the server cleans it
        folder = tmp_path / "into"
        folder.mkdir()
        ann.ok("download", created["id"], "-o", str(folder))
        assert (folder / "a _quoted_ name.txt").read_bytes() == odd.read_bytes()

    def test_a_file_over_the_limit_exits_1_and_nothing_is_attached(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        just_over = ann.run("attach", "Launch#1", str(_file(tmp_path, "a.bin", LIMIT + 1)))
        assert just_over.returncode == 1
        assert f"File too large (413): A file may hold at most {LIMIT} bytes." in just_over.stderr
        # Far over: the gateway refuses it on its announced length alone.
        far_over = ann.run("attach", "Launch#1", str(_file(tmp_path, "b.bin", 4 * LIMIT)))
        assert far_over.returncode == 1
        assert "(413)" in far_over.stderr
        assert json.loads(ann.ok("files", "Launch#1", "--json")) == []

    def test_a_missing_file_or_a_folder_is_a_usage_error(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        missing = ann.run("attach", "Launch#1", str(tmp_path / "nope.pdf"))
        assert missing.returncode == 2
        assert "cannot read" in missing.stderr
        assert "No such file or directory" in missing.stderr
        folder = ann.run("attach", "Launch#1", str(tmp_path))
        assert folder.returncode == 2
        assert "is not a regular file" in folder.stderr
        assert json.loads(ann.ok("files", "Launch#1", "--json")) == []

    def test_a_viewer_is_refused_an_upload_with_the_servers_reason(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        bob = _bob_in_launch(ann, tmp_path)
        room = json.loads(ann.ok("rooms", "show", "Launch", "--json"))
        bob_id = json.loads(bob.ok("whoami", "--json"))["id"]
        ann.ok(
            "api", "PATCH", f"/api/v1/rooms/{room['id']}/members/{bob_id}",
            "-d", '{"role": "viewer"}',
        )  # fmt: skip
        done = bob.run("attach", "Launch#1", str(_file(tmp_path, "x.txt", 10)))
        assert done.returncode == 1
        assert "(403)" in done.stderr
        assert json.loads(ann.ok("files", "Launch#1", "--json")) == []

    def test_downloads_of_what_is_not_there(self, ann: Terminal, tmp_path: Path) -> None:
        unknown = ann.run("download", str(uuid.uuid4()), cwd=tmp_path)
        assert unknown.returncode == 1
        assert "Not found (404)" in unknown.stderr
        not_an_id = ann.run("download", "notes.txt")
        assert not_an_id.returncode == 2
        assert "'notes.txt' is not a file id" in not_an_id.stderr
        file_id = json.loads(ann.ok("attach", "Launch#1", str(_file(tmp_path, "n", 5)), "--json"))
        nowhere = ann.run("download", file_id["id"], "-o", str(tmp_path / "no" / "such.txt"))
        assert nowhere.returncode == 2
        assert "there is no folder" in nowhere.stderr


class TestWatch:
    def test_it_prints_the_rooms_events_until_interrupted(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        watching = ann.start("watch", "Launch")
        try:
            watching.line_with("[watching room")
            ann.ok("tasks", "add", "Launch", "Shown live")
            ann.ok("comment", "Launch#2", "Live comment")
            assert "Shown live" in watching.line_with("task.created")
            watching.line_with("comment.created")
        finally:
            errors = watching.stop()
        assert watching.process.returncode == 0, errors

    def test_it_stops_with_exit_1_when_you_are_removed_from_the_room(
        self, ann: Terminal, tmp_path: Path
    ) -> None:
        bob = _bob_in_launch(ann, tmp_path)
        watching = bob.start("watch", "Launch")
        try:
            watching.line_with("[watching room")
            room = json.loads(ann.ok("rooms", "show", "Launch", "--json"))
            bob_id = json.loads(bob.ok("whoami", "--json"))["id"]
            ann.ok("api", "DELETE", f"/api/v1/rooms/{room['id']}/members/{bob_id}")
            assert watching.process.wait(timeout=30) == 1
        finally:
            errors = watching.stop()
        assert "stopped: removed" in errors

    def test_it_refuses_a_room_you_are_not_in(self, ann: Terminal, tmp_path: Path) -> None:
        eve = Terminal(ann.url, tmp_path / "eve-config")
        eve.register(f"eve{uuid.uuid4().hex[:8]}")
        done = eve.run("watch", "Launch")
        assert done.returncode == 1
        assert "No room of yours is named 'Launch'" in done.stderr
