"""A real `tasksync up` for the client's tests, and the client run as a person runs it: a
subprocess with its own config folder."""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

PASSWORD = "correct horse battery"
# The largest attachment of the test server: small, so that "too large" is cheap to reach.
UPLOAD_LIMIT = 64 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TASKSYNC_")}


def running_embedded(data: Path, **settings: str) -> Iterator[str]:
    """`tasksync up` on a free port; `settings` are extra TASKSYNC_ variables."""
    port = free_port()
    env = clean_env() | {
        "TASKSYNC_LOG_LEVEL": "warning",
        "TASKSYNC_ARGON2_MEMORY_KIB": "8192",
        "TASKSYNC_ARGON2_TIME_COST": "1",
        "TASKSYNC_REGISTRATIONS_PER_ADDRESS": "10000",
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tasksync", "up", "--port", str(port), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "tasksync up did not become healthy"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Terminal:
    """One person's shell: their config folder and the server they talk to."""

    url: str
    config: Path

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env() | {
            "TASKSYNC_URL": self.url,
            "TASKSYNC_CONFIG_DIR": str(self.config),
            "COLUMNS": "200",
            **extra,
        }

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tasksync", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env or self.env(),
            cwd=cwd,
            timeout=60,
        )

    def ok(self, *args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
        done = self.run(*args, stdin=stdin, cwd=cwd)
        assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, *args: str, cwd: Path | None = None) -> "Running":
        """A command that runs until stopped (`tasksync watch`), its output read line by line."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tasksync", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env(),
            cwd=cwd,
        )
        return Running(process)

    def register(self, username: str) -> None:
        self.ok("register", "--username", username, "--password-stdin", stdin=PASSWORD + "\n")


class Running:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.seen = b""

    @property
    def lines(self) -> list[str]:
        return self.seen.decode(errors="replace").splitlines()

    def line_with(self, text: str, seconds: float = 30) -> str:
        """The first line of standard output holding `text` (waiting for it, at most
        `seconds`: a bound on a hang, not a timing assertion)."""
        return self._first(lambda line: text in line, text, seconds)

    def line_matching(self, pattern: re.Pattern[str], seconds: float = 30) -> str:
        """The first line of standard output that `pattern` matches whole (waiting, as
        `line_with`); table cells are compared as the caller's pattern says."""
        return self._first(
            lambda line: bool(pattern.fullmatch(line.strip())), pattern.pattern, seconds
        )

    def _first(self, wanted: Callable[[str], bool], what: str, seconds: float) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + seconds
        while True:
            if found := next((line for line in self.lines if wanted(line)), None):
                return found
            assert time.monotonic() < deadline, f"no line with {what!r} in {self.lines}"
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                assert chunk, f"it ended: {self.stop()}"
                self.seen += chunk

    def stop(self) -> str:
        """Stops it as Ctrl+C does; its standard error."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stderr is not None
        return self.process.stderr.read().decode(errors="replace")


class InTerminal:
    """A command run on a pseudo-terminal, its controlling terminal as in a real shell (so
    a password prompt turns echo off on it): what it wrote, as the person would see it."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        import fcntl
        import pty
        import termios

        self.primary, secondary = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tasksync", *args],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            cwd=cwd,
            close_fds=True,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(secondary)
        self.seen = b""

    def read_until(self, marker: bytes, seconds: float = 30) -> None:
        """Waits for `marker` (at most `seconds`: a bound on a hang, not a timing assertion)."""
        deadline = time.monotonic() + seconds
        while marker not in self.seen and time.monotonic() < deadline:
            ready, _, _ = select.select([self.primary], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.primary, 1024)
                except OSError:  # the command ended and closed the terminal
                    break
        assert marker in self.seen, self.seen

    def type(self, text: str) -> None:
        os.write(self.primary, text.encode() + b"\n")

    def finish(self) -> int:
        """Its exit code, after reading what it wrote last."""
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        try:
            while select.select([self.primary], [], [], 0)[0]:
                chunk = os.read(self.primary, 1024)
                if not chunk:
                    break
                self.seen += chunk
        except OSError:  # the terminal closed with the command
            pass
        os.close(self.primary)
        return self.process.wait()
