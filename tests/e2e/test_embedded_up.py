"""`tasksync up` as a person runs it: a real process, real HTTP, a clean stop."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(base: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"tasksync up exited early:\n{process.stderr.read() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("tasksync up did not become healthy in time")


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSYNC_")}
    env |= {"TASKSYNC_LOG_FORMAT": "json", "TASKSYNC_ARGON2_MEMORY_KIB": "8192"}
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "tasksync", "up", "--port", str(port), "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", process, data
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_up_serves_the_api_and_stops_cleanly(
    embedded: tuple[str, subprocess.Popen[str], Path],
) -> None:
    base, process, data = embedded
    _wait_until_healthy(base, process)
    with httpx.Client(base_url=base, timeout=10) as http:
        registered = http.post(
            "/api/v1/auth/register", json={"username": "ann", "password": "long enough"}
        )
        assert registered.status_code == 201, registered.text
        tokens = http.post(
            "/api/v1/auth/login", json={"username": "ann", "password": "long enough"}
        ).json()
        me = http.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert me.json()["username"] == "ann"
        assert http.get("/api/docs").status_code == 200
    assert (data / "users.db").exists()

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert process.stderr is not None
    output = process.stderr.read()
    assert f"TaskSync is running at {base}" in output
    assert f"{base}/api/docs" in output
