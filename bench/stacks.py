"""The processes a benchmark measures: TaskSync distributed and embedded, and the baseline.

Each is started as its own child process with its output in a log file, waited for on its
health route, and stopped by its PID with SIGTERM.
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tasksync.common import registry
from tasksync.common.db import drop_databases
from tasksync.common.events.redis_streams import stream_name
from tasksync.common.redis_client import delete_prefixed

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("TASKSYNC_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TASKSYNC_REDIS_URL", "redis://127.0.0.1:6379/0")
# Another benchmark on this machine (another checkout) uses the same names unless told
# otherwise: BENCH_DB_PREFIX keeps two runs from dropping each other's databases.
PREFIX = os.environ.get("BENCH_DB_PREFIX", "tasksync_bench_http")
# Every service's database goes after a run (the stack migrates them all); a reports one left
# over would hold an earlier run's room and never rebuild from the new one.
SERVICES = registry.NAMES
ZERO = "00000000-0000-0000-0000-000000000000"
# Seconds the distributed stack may take to start: minutes on a 2-core machine others share.
START_TIMEOUT = 600
# The files service's local storage, emptied with the databases.
FILES_DIR = Path(tempfile.gettempdir()) / f"{PREFIX}_files"


def database_dsn(service: str) -> str:
    return f"{POSTGRES.rsplit('/', 1)[0]}/{PREFIX}_{service}"


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without any TASKSYNC_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSYNC_")}
    return env | {"TASKSYNC_LOG_FORMAT": "json"} | extra


def distributed_env() -> dict[str, str]:
    return clean_env(
        TASKSYNC_POSTGRES_URL=POSTGRES,
        TASKSYNC_REDIS_URL=REDIS,
        TASKSYNC_DB_PREFIX=PREFIX,
        TASKSYNC_REDIS_PREFIX=PREFIX,
        TASKSYNC_FILES_BACKEND="local",
        TASKSYNC_FILES_DIR=str(FILES_DIR),
        # The comment-writing scenario sends hundreds a second as one person: the limit (30
        # a minute) would answer 429 after the first burst; its check is still measured.
        TASKSYNC_COMMENTS_PER_USER="1000000000",
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    """RSS with each shared page divided among the processes that share it: a process's
    fair share, which adds up to what the processes take together."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no Pss for pid {pid}")


def uss_mb(pid: int) -> float:
    """Memory only this process holds (RSS less the pages it shares with others, such as
    the libraries every service maps): what one more process really costs."""
    private = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            private += int(line.split()[1])
    return private / 1024


def wait_http(url: str, *, timeout: float, process: subprocess.Popen[bytes]) -> float:
    """Polls `url` until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the process behind {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


@dataclass
class Running:
    """A started process (and, for the distributed stack, its service processes)."""

    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log: Path
    started_in: float
    pids: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)


def start_distributed(port: int, logs: Path) -> Running:
    log = logs / "distributed.log"
    popen = _spawn(
        [sys.executable, "-m", "tasksync", "up", "--distributed", "--port", str(port)],
        distributed_env(),
        log,
    )
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while "TaskSync (distributed) is running" not in log.read_text():
        if popen.poll() is not None or time.monotonic() - started > START_TIMEOUT:
            raise RuntimeError(f"the distributed stack did not start; see {log}")
        time.sleep(0.05)
    took = time.monotonic() - started
    pids = {"supervisor": popen.pid}
    for line in log.read_text().splitlines():
        if "ready (pid" in line:
            pids[line.split()[0]] = int(line.rsplit("pid ", 1)[1].rstrip(")"))
    # The preloaded parent the services are forked from, and multiprocessing's resource
    # tracker beside it, hold memory of their own too.
    pids["forkserver"] = parent_pid(pids["gateway"])
    if tracker := _resource_tracker(popen.pid):
        pids["resource tracker"] = tracker
    return Running("distributed", url, popen, log, took, pids)


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _resource_tracker(parent: int) -> int | None:
    """The pid of multiprocessing's resource tracker among `parent`'s children."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (
                parent_pid(int(entry.name)) == parent
                and b"resource_tracker" in (entry / "cmdline").read_bytes()
            ):
                return int(entry.name)
        except (OSError, IndexError):
            continue  # gone meanwhile
    return None


def start_embedded(port: int, data_dir: Path, logs: Path) -> Running:
    log = logs / "embedded.log"
    command = [sys.executable, "-m", "tasksync", "up", "--port", str(port)]
    popen = _spawn([*command, "--data-dir", str(data_dir)], clean_env(), log)
    url = f"http://127.0.0.1:{port}"
    took = wait_http(f"{url}/ready", timeout=60, process=popen)
    return Running("embedded", url, popen, log, took, {"embedded": popen.pid})


def start_baseline(port: int, logs: Path) -> Running:
    log = logs / "baseline.log"
    popen = _spawn(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        clean_env(TASKSYNC_BASELINE_DSN=database_dsn("tasks")),
        log,
    )
    url = f"http://127.0.0.1:{port}"
    took = wait_http(f"{url}/rooms/{ZERO}/tasks", timeout=30, process=popen)
    return Running("baseline", url, popen, log, took, {"baseline": popen.pid})


async def _caught_up() -> bool:
    """Whether every group has been handed its stream's last entry and acknowledged it
    (`lag` alone is unknown once a stream has been trimmed)."""
    redis = Redis.from_url(REDIS, decode_responses=True)
    try:
        for producer in SERVICES:
            stream = stream_name(PREFIX, producer)
            try:
                last = (await redis.xinfo_stream(stream))["last-generated-id"]
                groups = await redis.xinfo_groups(stream)
            except ResponseError:  # no such stream: nothing written
                continue
            if any(g["pending"] or g["last-delivered-id"] != last for g in groups):
                return False
        return True
    finally:
        await redis.aclose()


def wait_for_consumers(timeout: float = 120.0) -> float:
    """Seconds until every consumer group has read and acknowledged its producer's stream.
    A write scenario's events are still being applied by six services when wrk stops, on
    the same two cores: whatever is measured next would pay for them."""
    started = time.monotonic()
    time.sleep(0.5)  # the relays publish the last commits
    while not asyncio.run(_caught_up()) and time.monotonic() - started < timeout:
        time.sleep(0.25)
    return round(time.monotonic() - started, 1)


def drop_bench_databases() -> None:
    """Every service's database of this benchmark, and the files it stored."""
    shutil.rmtree(FILES_DIR, ignore_errors=True)
    server = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)

    asyncio.run(drop_databases(f"{server}/{PREFIX}_{service}" for service in SERVICES))
    asyncio.run(_forget_redis_keys())


async def _forget_redis_keys() -> None:
    """The streams, buffers and limits the stack kept in Redis: a run leaves none behind."""
    redis = Redis.from_url(REDIS)
    try:
        await delete_prefixed(redis, PREFIX)
    finally:
        await redis.aclose()
