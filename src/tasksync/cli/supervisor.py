"""`tasksync up --distributed`: every service as its own process on PostgreSQL and Redis.

Migrates every database first, starts the services, waits until each is ready, then the
gateway; restarts a process that dies (with growing pauses, and says so); stops them all
gracefully on Ctrl+C or SIGTERM. The processes are forked from one preloaded parent
(cli/forked.py), so the libraries they all import are loaded once and their pages shared.
"""

import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass

import aiohttp
from rich.console import Console

from tasksync import stack
from tasksync.cli import forked
from tasksync.cli.server import raise_open_files_limit
from tasksync.common import registry
from tasksync.common.settings import HttpServerSettings

console = Console(stderr=True)
FORKS = multiprocessing.get_context("forkserver")
REPLICA_PORT_STEP = 100  # replica n of a service listens on its port + n * 100
STOP_GRACE_SECONDS = 15


@dataclass
class Process:
    service: str
    port: int
    env: dict[str, str]
    child: multiprocessing.process.BaseProcess | None = None
    restarts: int = 0
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def label(self) -> str:
        return f"{self.service}:{self.port}"

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.exitcode is None

    def start(self) -> None:
        self.child = FORKS.Process(
            target=forked.serve, args=(self.service, self.port, self.env), name=self.label
        )
        self.child.start()
        self.started_at = time.monotonic()

    async def wait(self) -> int:
        assert self.child is not None
        return await exit_code(self.child)


async def exit_code(child: multiprocessing.process.BaseProcess) -> int:
    """A forked child's exit code (negative: the signal that ended it), once it has exited."""
    loop = asyncio.get_running_loop()
    exited = loop.create_future()
    loop.add_reader(child.sentinel, lambda: exited.done() or exited.set_result(None))
    try:
        await exited
    finally:
        loop.remove_reader(child.sentinel)
    child.join()
    return child.exitcode  # type: ignore[return-value]


def plan(replicas: dict[str, int], gateway_port: int) -> dict[str, list[int]]:
    """Each service keeps its usual distance from the gateway's port (users +1, ...)."""
    shift = gateway_port - registry.GATEWAY.port
    ports = {
        spec.name: [
            spec.port + shift + n * REPLICA_PORT_STEP for n in range(replicas.get(spec.name, 1))
        ]
        for spec in registry.SERVICES
    }
    ports["gateway"] = [gateway_port]
    return ports


def child_env(postgres_url: str, redis_url: str, ports: dict[str, list[int]]) -> dict[str, str]:
    urls = {name: ",".join(f"http://127.0.0.1:{p}" for p in found) for name, found in ports.items()}
    return {
        **os.environ,
        "TASKSYNC_MODE": "distributed",
        "TASKSYNC_POSTGRES_URL": postgres_url,
        "TASKSYNC_REDIS_URL": redis_url,
        "TASKSYNC_SERVICE_URLS": json.dumps(urls),
        "TASKSYNC_MIGRATE_ON_START": "false",
    }


async def wait_ready(process: Process, session: aiohttp.ClientSession, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running:
            return False
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):  # not listening yet
            async with session.get(
                f"{process.url}/ready", timeout=aiohttp.ClientTimeout(total=2)
            ) as r:
                if r.status == 200:
                    return True
        await asyncio.sleep(0.1)
    return False


class Supervisor:
    def __init__(self, processes: list[Process]) -> None:
        self.processes = processes
        self.stopping = asyncio.Event()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        async with aiohttp.ClientSession() as session:
            for group in (False, True):  # services first, the gateway last
                batch = [p for p in self.processes if (p.service == "gateway") == group]
                for process in batch:
                    process.start()
                ready = await asyncio.gather(*(wait_ready(p, session) for p in batch))
                for process, ok in zip(batch, ready, strict=True):
                    if not ok:
                        console.print(f"[red]{process.label} did not become ready; stopping.[/]")
                        await self.stop_all()
                        return 1
                    console.print(
                        f"  {process.service:<8} {process.url}  ready (pid {process.child.pid})"
                    )
            gateway = next(p for p in self.processes if p.service == "gateway")
            console.print(f"TaskSync (distributed) is running at {gateway.url}")
            console.print(f"  web app  {gateway.url}/")
            console.print(f"  API docs {gateway.url}/api/docs")
            console.print("Press Ctrl+C to stop.")
            watchers = [asyncio.create_task(self.watch(p)) for p in self.processes]
            await self.stopping.wait()
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
        await self.stop_all()
        return 0

    async def watch(self, process: Process) -> None:
        """Restarts the process whenever it dies, waiting longer after each quick death."""
        while True:
            code = await process.wait()
            if self.stopping.is_set():
                return
            if time.monotonic() - process.started_at > 60:
                process.restarts = 0
            pause = min(2**process.restarts * 0.5, 30)
            process.restarts += 1
            console.print(
                f"[yellow]{process.label} exited with code {code}; restarting in {pause:.1f}s.[/]"
            )
            await asyncio.sleep(pause)
            process.start()
            console.print(f"[green]{process.label} restarted (pid {process.child.pid}).[/]")

    async def stop_all(self) -> None:
        console.print("Stopping...")
        running = [p for p in self.processes if p.running]
        if not running:
            return
        for process in reversed(running):  # the gateway first: no new requests come in
            process.child.terminate()  # type: ignore[union-attr]
        waits = [asyncio.ensure_future(p.wait()) for p in running]
        _, late = await asyncio.wait(waits, timeout=STOP_GRACE_SECONDS)
        for process in running:
            if process.running:
                process.child.kill()  # type: ignore[union-attr]
        if late:
            await asyncio.wait(late, timeout=5)


async def up_distributed(
    *, postgres_url: str, redis_url: str, gateway_port: int, replicas: dict[str, int]
) -> int:
    ports = plan(replicas, gateway_port)
    # The services inherit it (and raise their own to TASKSYNC_OPEN_FILES_LIMIT as well).
    raise_open_files_limit(HttpServerSettings().open_files_limit)
    FORKS.set_forkserver_preload(["tasksync.cli.forked"])
    console.print("Migrating databases...")
    # In a child of its own: Alembic and every schema never stay in the supervisor's memory.
    migration = FORKS.Process(target=forked.migrate, args=(postgres_url,), name="migrations")
    migration.start()
    if await exit_code(migration) != 0:
        console.print("[red]Migrating the databases failed (above); nothing was started.[/]")
        return 1
    env = child_env(postgres_url, redis_url, ports)
    processes = [Process(name, port, env) for name, found in ports.items() for port in found]
    return await Supervisor(processes).run()


def parse_replicas(text: str | None) -> dict[str, int]:
    """`tasks=2,rooms=2` -> {"tasks": 2, "rooms": 2}."""
    if not text:
        return {}
    counts: dict[str, int] = {}
    for part in text.split(","):
        name, _, count = part.partition("=")
        name = name.strip()
        if name not in stack.SERVICES or not count.strip().isdigit() or int(count) < 1:
            raise ValueError(
                f"--replicas takes SERVICE=N pairs such as tasks=2,rooms=2 "
                f"(services: {', '.join(stack.SERVICES)}); got {part!r}."
            )
        counts[name] = int(count)
    return counts
