"""docs/cli.md, run: every `$ tasksync ...` line of its console blocks, in order, as one
person at a real `tasksync up`. Each must succeed, and each output line the page shows must
appear, where ids, join codes and times may differ (an id the page shows twice must be the
same id twice), tables match cell by cell, and a progress bar by its label. A line ending
with `…` is the start of what is printed. A command ending with `&` runs on while the next
ones do, and output shown under them may come from it (`tasksync watch`)."""

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import pytest

from tests.cli.client_server import PASSWORD, InTerminal, Running, Terminal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cli-docs")]

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
DOC_URL = "http://127.0.0.1:8000"
PROMPTS = ("Password:", "Repeat for confirmation:")
BOX = set("━┏┳┓┡╇┩└┴┘─┃│ ")
# What may differ between the page and a run: ids (the same in both places when shown
# twice), join codes, times, an event's number.
VARYING = {
    "id": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "code": r"(?<=join code )[A-Z0-9]{9}",
    "time": r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?Z?)?",
    "seq": r"^#\d+(?= )",
}
TOKENS = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in VARYING.items()))


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)


def console_blocks(text: str) -> list[list[Step]]:
    blocks = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        steps: list[Step] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:]))
            elif line.strip():
                steps[-1].shown.append(line)
        blocks.append(steps)
    return blocks


def _cells(line: str) -> str:
    """A table row as its cells, whatever the widths; any other line, stripped."""
    if "│" in line or "┃" in line:
        cells = re.split("[│┃]", line.strip().strip("│┃"))
        return " | ".join(c.strip() for c in cells).rstrip()
    return line.strip()


class Reader:
    """One person following the page, in a folder of their own."""

    def __init__(self, terminal: Terminal, folder: Path) -> None:
        self.terminal = terminal
        self.folder = folder
        self.same: dict[str, str] = {DOC_URL: terminal.url}
        self.variables: dict[str, str] = {}
        self.background: list[Running] = []

    def pattern(self, shown: str) -> tuple[re.Pattern[str], list[str]] | None:
        """The regular expression an output line must match, and the page's ids and codes
        it captures, in order; None for a table border."""
        text = _cells(shown.replace(DOC_URL, self.terminal.url))
        if not text or set(text) <= BOX:
            return None
        if "━" in text and "|" not in text:  # a progress bar: its label
            return re.compile(re.escape(text.split(" ━")[0]) + r" ━+.*"), []
        prefix = text.endswith("…")
        text = text.removesuffix("…").rstrip()
        parts, captured, at = [], [], 0
        for token in TOKENS.finditer(text):
            parts.append(re.escape(text[at : token.start()]))
            value, kind = token.group(), token.lastgroup
            if kind in ("id", "code") and value in self.same:
                parts.append(re.escape(self.same[value]))
            elif kind in ("id", "code"):
                parts.append(f"({VARYING[kind]})")
                captured.append(value)
            else:
                parts.append(f"(?:{VARYING[kind]})")
            at = token.end()
        parts.append(re.escape(text[at:]))
        return re.compile("".join(parts) + (".*" if prefix else "")), captured

    def expect(self, shown: list[str], printed: list[str]) -> None:
        for line in shown:
            found = self.pattern(line)
            if found is None:
                continue
            regex, captured = found
            match = next((m for p in printed if (m := regex.fullmatch(_cells(p)))), None)
            for running in self.background if match is None else []:
                match = regex.fullmatch(_cells(running.line_matching(regex)))
            assert match, f"{line!r} not in\n" + "\n".join(printed)
            self.same |= dict(zip(captured, match.groups(), strict=True))

    def words(self, command: str) -> list[str]:
        for shown, real in self.same.items():
            command = command.replace(shown, real)
        for name, value in self.variables.items():
            command = command.replace(f"${name}", value)
        # A comment starts at a `#` after blanks (shlex would cut `Launch#2` too).
        return shlex.split(re.split(r"\s#\s", command, maxsplit=1)[0])

    def follow(self, step: Step) -> None:
        words = self.words(step.command)
        stdin = None
        if words[0] == "echo" and words[2] == ">":
            (self.folder / words[3]).write_text(words[1] + "\n")
            return
        if words[0] == "echo" and words[2] == "|":
            stdin, words = words[1] + "\n", words[3:]
        assert words[0] == "tasksync", step.command
        args = words[1:]
        if args[0] == "up":
            return  # the server the page starts is running already
        if args[-1] == "&":
            running = self.terminal.start(*args[:-1], cwd=self.folder)
            self.background.append(running)
            for line in step.shown:
                if found := self.pattern(line):
                    running.line_matching(found[0])
            self.expect(step.shown, running.lines)
            return
        if any(line.startswith(PROMPTS) for line in step.shown):
            printed = self.answer_prompts(args)
        else:
            done = self.terminal.run(*args, stdin=stdin, cwd=self.folder)
            assert done.returncode == 0, f"{step.command}\n{done.stdout}\n{done.stderr}"
            printed = done.stderr.splitlines() + done.stdout.splitlines()
        self.expect(step.shown, printed)

    def answer_prompts(self, args: list[str]) -> list[str]:
        session = InTerminal(args, self.terminal.env(), cwd=self.folder)
        try:
            for prompt in PROMPTS:
                # click prints the prompt, getpass turns echo off and prints its last " ".
                session.read_until(prompt.encode() + b" ")
                session.type(PASSWORD)
        finally:
            code = session.finish()
        printed = session.seen.decode().replace("\r", "").splitlines()
        assert code == 0, printed
        assert PASSWORD not in session.seen.decode()
        return printed

    def stop(self) -> None:
        for running in self.background:
            running.stop()
        self.background.clear()


def test_every_command_of_the_page_runs_as_shown(cli_server: str, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    # What the page attaches: a PDF of 48 KiB (its type is detected from its first bytes).
    (folder / "notes.pdf").write_bytes(b"%PDF-1.7\n" + b"%" * (48 * 1024 - 9))
    reader = Reader(Terminal(cli_server, tmp_path / "config"), folder)
    blocks = console_blocks(DOC.read_text())
    assert len(blocks) >= 2
    try:
        for number, block in enumerate(blocks):
            if number:  # the session ended with a logout: sign in again for the next block
                reader.terminal.ok("login", "-u", "ann", "--password-stdin", stdin=PASSWORD)
                reader.variables["ROOM"] = reader.same["01a23af3-5401-7625-9ec0-734a6bb60c49"]
            for step in block:
                reader.follow(step)
            reader.stop()
    finally:
        reader.stop()


def test_the_page_is_compared_not_only_run(tmp_path: Path) -> None:
    reader = Reader(Terminal("http://127.0.0.1:9", tmp_path), tmp_path)
    shown_id, first, second = "01a23af3-5401-7625-9ec0-734a6bb60c49", str(uuid4()), str(uuid4())
    reader.expect([f"Created Launch ({shown_id}); join code S2PT9WEJR"], [
        f"Created Launch ({first}); join code K7Q2M9XPA"
    ])  # fmt: skip
    with pytest.raises(AssertionError, match="not in"):  # the same id shown: the same id
        reader.expect([f"│ Launch │ {shown_id} │"], [f"│ Launch   │ {second} │"])
    reader.expect([f"│ Launch │ {shown_id} │"], [f"│ Launch   │ {first} │"])
    with pytest.raises(AssertionError, match="not in"):
        reader.expect(["Added Launch#1 Write"], ["Added Launch#2 Write"])
    with pytest.raises(AssertionError, match="not in"):
        reader.expect(["#9 2026-12-03T14:31:02.118325Z task.updated {…"], ["#9 x task.created {"])
