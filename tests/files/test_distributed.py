"""Files in distributed mode, end to end: `tasksync up --distributed` on the local
PostgreSQL and Redis with an S3-compatible server (moto), real HTTP through the gateway's
streaming proxy. A member attaches a file and another downloads it; an upload over the limit
leaves nothing; a files process killed during an upload leaves no row, and after the sweep no
spool file nor blob."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.conftest import POSTGRES_URL, REDIS_URL
from tests.e2e.test_distributed_up import (
    Distributed,
    _free_base_port,
    _signed_up,
    _wait_for,
    forget_stack,
)
from tests.helpers.s3_server import MotoServer, moto_server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True),
]
LIMIT = 2 * 1024 * 1024
BUCKET = "tasksync-e2e"


@pytest.fixture
def s3() -> Iterator[MotoServer]:
    with moto_server() as server:
        yield server


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def distributed(
    tmp_path: Path, backend_settings: dict, s3: MotoServer, files_dir: Path
) -> Iterator[Distributed]:
    port = _free_base_port()
    prefix = f"tasksync_e2e_files_{os.getpid()}"
    redis_prefix = f"{prefix}:{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSYNC_")}
    env |= {
        "TASKSYNC_DB_PREFIX": prefix,
        "TASKSYNC_REDIS_PREFIX": redis_prefix,
        "TASKSYNC_LOG_FORMAT": "json",
        "TASKSYNC_LOG_LEVEL": "warning",
        "TASKSYNC_ARGON2_MEMORY_KIB": "8192",
        "TASKSYNC_FILES_MAX_BYTES": str(LIMIT),
        "TASKSYNC_FILES_DIR": str(files_dir),
        "TASKSYNC_FILES_S3_BUCKET": BUCKET,
        "TASKSYNC_FILES_S3_ENDPOINT": s3.url,
        "TASKSYNC_FILES_S3_ACCESS_KEY": "test",
        "TASKSYNC_FILES_S3_SECRET_KEY": "test",
        # The sweep runs every second and takes anything older than about a second.
        "TASKSYNC_HOUSEKEEPING_INTERVAL": "1",
        "TASKSYNC_FILES_ORPHAN_HOURS": "0.0003",
    }
    log = tmp_path / "supervisor.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tasksync", "up", "--distributed", "--port", str(port),
             "--postgres-url", POSTGRES_URL, "--redis-url", REDIS_URL],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    running = Distributed(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_for(
            lambda: (
                "TaskSync (distributed) is running" in running.output()
                or process.poll() is not None
            ),
            120,
            "the stack",
        )
        assert process.poll() is None, running.output()
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        forget_stack(prefix, redis_prefix)


def _bucket_keys(s3: MotoServer) -> list[str]:
    client = boto3.client(
        "s3",
        endpoint_url=s3.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def _chunks(
    total: int, *, stall_after: int | None = None, until: threading.Event | None = None
) -> Iterator[bytes]:
    """A body streamed in 64 KiB chunks (never whole in memory); optionally stalling after
    `stall_after` bytes until `until` is set (30 s at most), then ending short."""
    sent = 0
    while sent < total:
        if stall_after is not None and sent >= stall_after:
            if until is not None:
                until.wait(30)
            return
        chunk = bytes([sent // 65536 % 256]) * min(65536, total - sent)
        sent += len(chunk)
        yield chunk


def _multipart(total: int, **options: Any) -> tuple[Iterator[bytes], dict[str, str]]:
    boundary = "e2e-boundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        yield from _chunks(total, **options)
        yield f"\r\n--{boundary}--\r\n".encode()

    return body(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_files_stream_through_the_gateway_to_s3_and_a_killed_upload_leaves_nothing(
    distributed: Distributed, s3: MotoServer, files_dir: Path
) -> None:
    with httpx.Client(base_url=distributed.base, timeout=30) as http:
        ann, bob = _signed_up(http, "ann"), _signed_up(http, "bob")
        room = http.post("/api/v1/rooms", json={"name": "Launch"}, headers=ann).json()
        joined = http.post("/api/v1/rooms/join", json={"code": room["code"]}, headers=bob)
        assert joined.status_code in (200, 201), joined.text
        task = http.post(f"/api/v1/rooms/{room['id']}/tasks", json={"title": "Plan"}, headers=ann)
        task_id = task.json()["id"]

        # Bob attaches 1.5 MB, streamed; Ann downloads it, whole and in part.
        size = 1_500_000
        body, headers = _multipart(size)
        created = http.post(
            f"/api/v1/tasks/{task_id}/files", content=body, headers={**bob, **headers}
        )
        assert created.status_code == 201, created.text
        file_id = created.json()["id"]
        expected = b"".join(_chunks(size))
        downloaded = http.get(f"/api/v1/files/{file_id}/content", headers=ann)
        assert downloaded.status_code == 200
        assert downloaded.content == expected
        part = http.get(
            f"/api/v1/files/{file_id}/content", headers={**ann, "Range": "bytes=65530-65545"}
        )
        assert part.status_code == 206
        assert part.content == expected[65530:65546]
        assert len(_bucket_keys(s3)) == 1

        # Over the limit: 413, and nothing more in the bucket or the spool.
        body, headers = _multipart(LIMIT + 1)
        refused = http.post(
            f"/api/v1/tasks/{task_id}/files", content=body, headers={**bob, **headers}
        )
        assert refused.status_code == 413, refused.text
        assert len(_bucket_keys(s3)) == 1

        # The files process is killed while an upload is streaming in.
        [pid] = distributed.pids("files")
        killed = threading.Event()
        body, headers = _multipart(LIMIT - 1000, stall_after=512 * 1024, until=killed)
        _kill_later(pid, files_dir, killed)
        with (
            httpx.Client(base_url=distributed.base, timeout=60) as other,
            contextlib.suppress(httpx.HTTPError),
        ):
            other.post(f"/api/v1/tasks/{task_id}/files", content=body, headers={**bob, **headers})
        _wait_for(lambda: "restarted" in distributed.output(), 60, "files to restart")
        _wait_for(lambda: _healthy(http), 60, "the stack to be healthy")
        listed = http.get(f"/api/v1/tasks/{task_id}/files", headers=ann).json()["items"]
        assert [f["id"] for f in listed] == [file_id]
        _wait_for(lambda: not list((files_dir / "incoming").iterdir()), 30, "the sweep")
        assert len(_bucket_keys(s3)) == 1


def _kill_later(pid: int, files_dir: Path, killed: threading.Event) -> None:
    """Kills the files process once its spool holds part of the upload."""

    def kill() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            spool = list((files_dir / "incoming").glob("*.upload"))
            if spool and spool[0].stat().st_size > 0:
                os.kill(pid, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.05)

    threading.Thread(target=kill, daemon=True).start()


def _healthy(http: httpx.Client) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return http.get("/health").json().get("status") == "ok"
    return False
