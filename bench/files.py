"""Attachments through the gateway: upload and download MB/s, and the files service's peak
memory while 8 uploads of 10 MB stream in at once (memory must stay a small constant, not
grow with the files).

Starts `tasksync up --distributed` (PostgreSQL, Redis, the local storage backend) on ports
18400-18405, streams every body in 64 KiB chunks, reads the files process's VmHWM (its
peak resident memory) from /proc, and writes bench/results/files.json.

    .venv/bin/python -m bench.files
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bench.stacks import POSTGRES, REDIS, clean_env, rss_mb
from tasksync.common.db import drop_databases

PORT = 18400
MB = 1024 * 1024
SIZE = 10 * MB
CONCURRENT = 8
ROUNDS = 4
PREFIX = "tasksync_bench_files"
RESULTS = Path(__file__).resolve().parent / "results" / "files.json"


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def _body(size: int) -> AsyncIterator[bytes]:
    boundary = "bench"
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    chunk = os.urandom(64 * 1024)
    for _ in range(size // len(chunk)):
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


HEADERS = {"Content-Type": "multipart/form-data; boundary=bench"}


async def _signed_up(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    await http.post("/api/v1/auth/register", json={"username": name, "password": "long enough"})
    token = await http.post(
        "/api/v1/auth/login", json={"username": name, "password": "long enough"}
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def _upload(http: httpx.AsyncClient, path: str, auth: dict[str, str]) -> str:
    response = await http.post(path, content=_body(SIZE), headers={**auth, **HEADERS})
    response.raise_for_status()
    return str(response.json()["id"])


async def _download(http: httpx.AsyncClient, file_id: str, auth: dict[str, str]) -> int:
    received = 0
    async with http.stream("GET", f"/api/v1/files/{file_id}/content", headers=auth) as answer:
        async for chunk in answer.aiter_bytes():
            received += len(chunk)
    return received


async def measure(base: str, pid: int, gateway_pid: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        ann, bob = await _signed_up(http, "ann"), await _signed_up(http, "bob")
        room = (await http.post("/api/v1/rooms", json={"name": "Bench"}, headers=ann)).json()
        await http.post("/api/v1/rooms/join", json={"code": room["code"]}, headers=bob)
        task = await http.post(
            f"/api/v1/rooms/{room['id']}/tasks", json={"title": "B"}, headers=ann
        )
        path = f"/api/v1/tasks/{task.json()['id']}/files"
        await _upload(http, path, bob)  # warm up
        idle_mb = rss_mb(pid)

        started = time.perf_counter()
        ids = [await _upload(http, path, bob) for _ in range(ROUNDS)]
        upload_mbps = ROUNDS * SIZE / MB / (time.perf_counter() - started)

        started = time.perf_counter()
        for file_id in ids:
            assert await _download(http, file_id, ann) == SIZE
        download_mbps = ROUNDS * SIZE / MB / (time.perf_counter() - started)

        before_peak = _peak_mb(pid)
        started = time.perf_counter()
        await asyncio.gather(*(_upload(http, path, bob) for _ in range(CONCURRENT)))
        concurrent_mbps = CONCURRENT * SIZE / MB / (time.perf_counter() - started)
        return {
            "file_mb": SIZE / MB,
            "upload_mb_per_s": round(upload_mbps, 1),
            "download_mb_per_s": round(download_mbps, 1),
            "concurrent_uploads": CONCURRENT,
            "concurrent_upload_mb_per_s": round(concurrent_mbps, 1),
            "files_rss_idle_mb": round(idle_mb, 1),
            "files_peak_rss_before_mb": round(before_peak, 1),
            "files_peak_rss_during_concurrent_mb": round(_peak_mb(pid), 1),
            "gateway_peak_rss_mb": round(_peak_mb(gateway_pid), 1),
        }


def _pid(output: str, service: str) -> int:
    found = re.search(rf"{service} .* ready \(pid (\d+)\)", output)
    if found is None:
        raise RuntimeError(f"no pid for {service} in:\n{output}")
    return int(found.group(1))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "stack.log"
        env = clean_env(
            TASKSYNC_DB_PREFIX=PREFIX,
            TASKSYNC_REDIS_PREFIX=PREFIX,
            TASKSYNC_FILES_DIR=str(Path(folder) / "files"),
            TASKSYNC_FILES_BACKEND="local",
            TASKSYNC_LOG_LEVEL="warning",
        )
        with log.open("wb") as sink:
            stack = subprocess.Popen(
                [sys.executable, "-m", "tasksync", "up", "--distributed", "--port", str(PORT),
                 "--postgres-url", POSTGRES, "--redis-url", REDIS],
                env=env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while "TaskSync (distributed) is running" not in log.read_text():
                if time.monotonic() > deadline or stack.poll() is not None:
                    raise RuntimeError(log.read_text())
                time.sleep(0.2)
            pid, gateway_pid = (_pid(log.read_text(), name) for name in ("files", "gateway"))
            figures = asyncio.run(measure(f"http://127.0.0.1:{PORT}", pid, gateway_pid))
        finally:
            stack.send_signal(signal.SIGTERM)
            stack.wait(timeout=60)
            server = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            services = ("users", "rooms", "tasks", "comments", "files")
            asyncio.run(drop_databases(f"{server}/{PREFIX}_{service}" for service in services))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
