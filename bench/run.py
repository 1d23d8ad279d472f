"""`make bench`: TaskSync's HTTP figures beside a bare FastAPI + asyncpg baseline.

Seeds 100,000 tasks in one room on PostgreSQL, starts the distributed stack (a process per
service) and the baseline, and drives each scenario with wrk at 1 and 32 connections: through
the gateway, straight at the tasks service (the gateway's own cost), and on the baseline.
Then the embedded stack (SQLite): its start time, memory and reads. The full run also samples
CPU profiles and runs the event benchmark. Everything lands in bench/results/ and the
generated sections of docs/performance.md.

    .venv/bin/python -m bench.run            # full: about 10 minutes
    .venv/bin/python -m bench.run --quick    # while developing: under 3 minutes
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import load, profiles, report, stacks
from bench.scenarios import (
    CURSOR_PAGE,
    SERVICE_KEYS,
    Scenario,
    cursor_of_page,
    prepare_services,
    scenarios,
    seeded,
    sign_in,
    wait_for_reports,
)

# Every port follows BENCH_PORT_BASE: two benchmarks on one machine (with BENCH_DB_PREFIX)
# each set their own. The services listen next to the gateway (users on +1, tasks on +3...).
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "18000"))
GATEWAY_PORT = PORT_BASE
BASELINE_PORT = PORT_BASE + 10
EMBEDDED_PORT = PORT_BASE + 20
CONNECTIONS = (1, 32)
PAIRED_ROUNDS = 3
TASKS = 100_000
SEED = ["--users", "20", "--rooms", "1", "--tasks", str(TASKS)]


@dataclass(frozen=True)
class Plan:
    quick: bool
    # Only these scenarios (through the gateway, no pairs, profiles or embedded stack).
    only: tuple[str, ...] = ()

    @property
    def seconds(self) -> int:
        return 1 if self.quick else 5

    @property
    def rounds(self) -> int:
        """Rounds of the paired targets: quick mode takes one (no median)."""
        return 1 if self.quick else PAIRED_ROUNDS


def say(text: str) -> None:
    print(text, flush=True)


def seed(env: dict[str, str], *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tasksync", "seed", *SEED, *extra],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - started, 1)


def measure(
    url: str,
    scenario_requests: list[load.Request],
    plan: Plan,
    connections: tuple[int, ...] = CONNECTIONS,
) -> dict[int, dict]:
    # Warm-up on one connection: caches and pools fill, and no backlog outlives it.
    load.run(url, scenario_requests, connections=1, seconds=1)
    return {
        n: load.run(url, scenario_requests, connections=n, seconds=plan.seconds).as_dict()
        for n in connections
    }


def paired(
    a: tuple[str, list[load.Request]],
    b: tuple[str, list[load.Request]],
    *,
    connections: int,
    plan: Plan,
) -> dict[str, list[dict]]:
    """`a` and `b` measured in turn, `plan.rounds` times each. On a shared 2-core machine a
    figure moves by a fifth from one minute to the next; a ratio of runs taken side by side,
    and the median of three, does not."""
    for url, requests in (a, b):
        load.run(url, requests, connections=1, seconds=1)  # warm-up
    runs: dict[str, list[dict]] = {"a": [], "b": []}
    for _ in range(plan.rounds):
        for side, (url, requests) in (("a", a), ("b", b)):
            runs[side].append(
                load.run(url, requests, connections=connections, seconds=plan.seconds).as_dict()
            )
            if _writes(requests):
                stacks.wait_for_consumers()
    return runs


def _writes(requests: list[load.Request]) -> bool:
    return any(request.method != "GET" for request in requests)


def _line(label: str, figures: dict[int, dict]) -> str:
    cells = [
        f"{n}: {f['rps']:.0f}/s p50 {f['p50_ms']:.1f} p99 {f['p99_ms']:.1f} ms"
        + (f" ({f['errors']} errors)" if f["errors"] else "")
        for n, f in figures.items()
    ]
    return f"  {label:<24} " + " | ".join(cells)


def _memory(
    measure: Callable[[int], float], stack: stacks.Running, baseline: stacks.Running
) -> dict[str, float]:
    """MB of every process of the stack, and of the baseline, by `measure` (RSS or USS)."""
    pids = stack.pids | {"baseline": baseline.popen.pid}
    return {name: round(measure(pid), 1) for name, pid in pids.items()}


def run_distributed(plan: Plan, logs: Path) -> dict:
    stacks.drop_bench_databases()
    say("Seeding 100,000 tasks on PostgreSQL...")
    seeded_in = seed(stacks.distributed_env())
    say(f"  seeded in {seeded_in}s")
    stack = stacks.start_distributed(GATEWAY_PORT, logs)
    baseline = stacks.start_baseline(BASELINE_PORT, logs)
    try:
        time.sleep(2)  # let start-up work settle before reading memory
        idle = _memory(stacks.rss_mb, stack, baseline)
        private = _memory(stacks.uss_mb, stack, baseline)
        share = _memory(stacks.pss_mb, stack, baseline)
        say(f"  distributed stack ready in {stack.started_in:.1f}s; idle RSS MB {idle}")
        data = seeded()
        tokens = sign_in(stack.url, data.usernames)
        room_path = f"/rooms/{data.room_id}/tasks"
        prepared = None
        if not plan.only or set(plan.only) & set(SERVICE_KEYS):
            say("  making the other services' data through the API...")
            started = time.perf_counter()
            prepared = prepare_services(stack.url, data, tokens)
            say(f"  ready after {time.perf_counter() - started:.0f}s")
        found = scenarios(
            data,
            tokens,
            page_cursor=cursor_of_page(stack.url, f"/api/v1{room_path}", tokens[0], CURSOR_PAGE),
            baseline_cursor=cursor_of_page(baseline.url, room_path, None, CURSOR_PAGE),
            prepared=prepared,
        )
        tasks_url = f"http://127.0.0.1:{GATEWAY_PORT + 3}"
        # Also before an --only run of other scenarios: the reports service's rebuild of the
        # room (when it starts empty) takes a core for a quarter of a minute.
        say("  waiting for the reports service's read model of the room...")
        say(f"  ready after {wait_for_reports(stack.url, data.room_id, tokens[0], TASKS):.0f}s")
        if plan.only:
            found = [s for s in found if s.key in plan.only]
        pairs = {} if plan.only else _pairs(stack.url, baseline.url, tasks_url, found, plan)
        figures: dict[str, dict] = {}
        # Quick mode measures the baseline only where another row is compared with it.
        compared = {s.compare_with for s in found}
        for scenario in found:
            entry = figures[scenario.key] = {
                "title": scenario.title,
                "compare_with": scenario.compare_with,
            }
            entry["gateway"] = measure(stack.url, scenario.requests, plan, scenario.connections)
            say(_line(f"{scenario.key} gateway", entry["gateway"]))
            if _writes(scenario.requests):
                say(f"  its events applied by every consumer {stacks.wait_for_consumers()}s later")
            if scenario.direct:
                entry["direct"] = measure(tasks_url, scenario.requests, plan)
                say(_line(f"{scenario.key} direct", entry["direct"]))
            if scenario.baseline and (not plan.quick or scenario.key in compared):
                entry["baseline"] = measure(baseline.url, scenario.baseline, plan)
                say(_line(f"{scenario.key} baseline", entry["baseline"]))
            if scenario.baseline_locked:
                entry["baseline_locked"] = measure(baseline.url, scenario.baseline_locked, plan)
                say(_line(f"{scenario.key} baseline+locks", entry["baseline_locked"]))
        loaded = _memory(stacks.rss_mb, stack, baseline)
        profiled = {} if plan.quick or plan.only else profile(stack, found, logs)
    finally:
        stack.stop()
        baseline.stop()
        stacks.drop_bench_databases()
    return {
        "seed_seconds": seeded_in,
        "ready_seconds": round(stack.started_in, 2),
        "rss_idle_mb": idle,
        "uss_idle_mb": private,
        "pss_idle_mb": share,
        "rss_after_load_mb": loaded,
        "scenarios": figures,
        "paired": pairs,
        "profiles": profiled,
    }


def _pairs(
    gateway: str, baseline: str, tasks: str, found: list[Scenario], plan: Plan
) -> dict[str, dict[str, list[dict]]]:
    # Before the scenarios: sign-in's argon2 backlog must not reach these rounds.
    say(f"  targets: gateway and baseline (or direct) in turn, {plan.rounds} round(s)...")
    by_key = {s.key: s for s in found}
    get, lists, create = by_key["get-task"], by_key["list-default"], by_key["create-task"]
    return {
        "get-task": paired(
            (gateway, get.requests), (baseline, get.baseline or []), connections=32, plan=plan
        ),
        "list-default": paired(
            (gateway, lists.requests), (baseline, lists.baseline or []), connections=32, plan=plan
        ),
        "gateway-cost": paired(
            (gateway, get.requests), (tasks, get.requests), connections=1, plan=plan
        ),
        # The bare insert: the same columns and one outbox row, no counter, no lock.
        "create-task": paired(
            (gateway, create.requests), (baseline, create.baseline or []), connections=32, plan=plan
        ),
    }


def profile(stack: stacks.Running, found: list[Scenario], logs: Path) -> dict:
    """CPU profiles of the gateway and the tasks service under 32 connections."""
    profiled = {}
    for key in ("get-task", "list-default"):
        scenario = next(s for s in found if s.key == key)
        say(f"  profiling {key}...")
        pids = {name: stack.pids[name] for name in ("gateway", "tasks")}
        sampling = profiles.start(pids, 6, logs / f"profile-{key}")
        time.sleep(1.5)  # py-spy attaches
        load.run(stack.url, scenario.requests, connections=32, seconds=6)
        profiled[key] = profiles.finish(sampling, logs / f"profile-{key}")
    return profiled


def run_embedded(plan: Plan, logs: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="tasksync-bench-") as folder:
        empty = Path(folder) / "empty"
        first = stacks.start_embedded(EMBEDDED_PORT, empty, logs)
        first.stop()
        data_dir = Path(folder) / "data"
        say("Seeding 100,000 tasks on SQLite...")
        seeded_in = seed(stacks.clean_env(), "--data-dir", str(data_dir))
        say(f"  seeded in {seeded_in}s")
        stack = stacks.start_embedded(EMBEDDED_PORT, data_dir, logs)
        try:
            time.sleep(2)
            idle = round(stacks.rss_mb(stack.popen.pid), 1)
            say(
                f"  embedded ready in {stack.started_in:.2f}s "
                f"(first start {first.started_in:.2f}s); idle RSS {idle} MB"
            )
            figures = {}
            if not plan.quick:
                data = _sqlite_seeded(data_dir)
                tokens = sign_in(stack.url, data.usernames)
                found = scenarios(data, tokens, page_cursor="", baseline_cursor="")
                for scenario in (s for s in found if s.key in ("get-task", "list-default")):
                    figures[scenario.key] = {"title": scenario.title}
                    figures[scenario.key]["embedded"] = measure(stack.url, scenario.requests, plan)
                    say(_line(f"{scenario.key} embedded", figures[scenario.key]["embedded"]))
            loaded = round(stacks.rss_mb(stack.popen.pid), 1)
        finally:
            stack.stop()
    return {
        "seed_seconds": seeded_in,
        "first_start_seconds": round(first.started_in, 2),
        "ready_seconds": round(stack.started_in, 2),
        "rss_idle_mb": idle,
        "rss_after_load_mb": loaded,
        "scenarios": figures,
    }


def _sqlite_seeded(data_dir: Path):  # type: ignore[no-untyped-def]
    import sqlite3
    from uuid import UUID

    from bench.scenarios import Seeded

    tasks = sqlite3.connect(data_dir / "tasks.db")
    users = sqlite3.connect(data_dir / "users.db")
    room = tasks.execute("SELECT room_id FROM room_counters ORDER BY next DESC").fetchone()[0]
    members = [
        row[0]
        for row in tasks.execute(
            "SELECT user_id FROM room_roles WHERE room_id = ? "
            "ORDER BY CASE role WHEN 'owner' THEN 0 ELSE 1 END, user_id",
            (room,),
        )
    ]
    names = dict(users.execute("SELECT id, username FROM users"))
    ids = [UUID(r[0]) for r in tasks.execute("SELECT id FROM tasks ORDER BY random() LIMIT 1000")]
    return Seeded(room_id=UUID(room), usernames=[names[m] for m in members], task_ids=ids)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs, no profiles/events")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="SCENARIO",
        help="just these scenarios on the distributed stack (report-summary report-flow, "
        f"{' '.join(SERVICE_KEYS)}...); writes only the reports section of docs/performance.md",
    )
    arguments = parser.parse_args()
    plan = Plan(quick=arguments.quick, only=tuple(arguments.only))
    when = report.stamp()
    logs = report.RESULTS / f"logs-{when}"
    logs.mkdir(parents=True, exist_ok=True)
    machine = report.machine()
    say(f"Machine: {machine}")
    results = {
        "when": when,
        "quick": plan.quick,
        "seconds_per_run": plan.seconds,
        "machine": machine,
        "load_average": " / ".join(f"{n:.1f}" for n in os.getloadavg()),
        "only": list(plan.only),
        "distributed": run_distributed(plan, logs),
    }
    if not plan.only:
        results["embedded"] = run_embedded(plan, logs)
    path = report.save_results("http", when, results)
    from bench.document import write_document, write_reports

    if plan.only:
        # Its reports, if it measured any: the scenario table stays the full run's.
        if any(key.startswith("report-") for key in plan.only):
            write_reports(results)
    else:
        write_document(results)
    say(f"Wrote {path.relative_to(report.ROOT)} and docs/performance.md (logs in {logs.name})")
    if not plan.quick and not plan.only:
        subprocess.run([sys.executable, "-m", "bench.events", "--events", "5000"], check=True)


if __name__ == "__main__":
    main()
