"""Turns one `bench.run` result into the generated sections of docs/performance.md."""

from bench.report import replace_section, table

TARGET_GET_SHARE = 50
TARGET_LIST_SHARE = 40
TARGET_LIST_P99_MS = 50
TARGET_GATEWAY_P50_MS = 1
TARGET_SERVICE_RSS_MB = 80
# Processes of the distributed stack that are not a service: the supervisor, the preloaded
# parent the services are forked from and multiprocessing's resource tracker; and the
# baseline, for comparison.
NOT_SERVICES = ("supervisor", "forkserver", "resource tracker", "baseline")
TARGET_EMBEDDED_RSS_MB = 200
TARGET_EMBEDDED_READY_S = 3
TARGET_CREATE_SHARE = 50
TARGET_CREATE_P99_MS = 100
TARGET_CREATE_P50_1_MS = 3
# The reports' targets: p99 at REPORT_CONNECTIONS through the gateway.
REPORT_TARGETS_MS = {"report-summary": 50, "report-flow": 150}
REPORT_CONNECTIONS = 8


def _share(value: float, of: float) -> str:
    return f"{100 * value / of:.0f} %" if of else "-"


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _machine(results: dict) -> list[str]:
    m = results["machine"]
    mode = "quick mode (`make bench-quick`)" if results["quick"] else "`make bench`"
    return [
        f"Measured {results['when']} by {mode}: {results['seconds_per_run']} s per run, load "
        f"from wrk {m['wrk']} (one thread) on the same machine.",
        "",
        f"- {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}",
        f"- Python {m['python']}, PostgreSQL {m['postgresql']}, Redis {m['redis']}",
    ]


def _scenarios(results: dict) -> list[str]:
    scenarios = results["distributed"]["scenarios"]
    rows = []
    for key, entry in scenarios.items():
        compared = entry.get("compare_with") or _compare_key(key)
        compare = scenarios.get(compared, {}).get("baseline")
        for n, f in entry["gateway"].items():
            base = compare.get(n) if compare else None
            direct = entry.get("direct", {}).get(n)
            locked = entry.get("baseline_locked", {}).get(n)
            rows.append(
                [
                    entry["title"],
                    n,
                    f"{f['rps']:.0f}",
                    _ms(f["p50_ms"]),
                    _ms(f["p95_ms"]),
                    _ms(f["p99_ms"]),
                    f["errors"],
                    f"{direct['rps']:.0f} / {_ms(direct['p50_ms'])}" if direct else "",
                    f"{base['rps']:.0f} / {_ms(base['p50_ms'])}" if base else "",
                    _share(f["rps"], base["rps"]) if base else "",
                    f"{locked['rps']:.0f} / {_ms(locked['p50_ms'])}" if locked else "",
                    _share(f["rps"], locked["rps"]) if locked else "",
                ]
            )
    header = [
        "scenario",
        "conns",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "direct req/s / p50",
        "baseline req/s / p50",
        "of baseline",
        "baseline+locks req/s / p50",
        "of baseline+locks",
    ]
    return [
        "Distributed mode on PostgreSQL, one process per service, through the gateway. "
        "*direct* is the same request sent straight to the tasks service; *baseline* is "
        "`bench/baseline.py` (FastAPI + uvicorn + raw asyncpg, one process, no auth) serving "
        "the same query. A create and a status change are compared with the baseline doing "
        "the same write (the task's columns and one outbox row, in one transaction), and "
        "*baseline+locks* with it also taking what TaskSync's write takes: the room's counter "
        "row to COMMIT and the outbox's commit-order advisory lock. Sign-in, the overview, "
        "the reports and the other services' reads and writes are compared with the "
        "baseline's get-by-id.",
        "",
        *table(header, rows),
    ]


def _compare_key(key: str) -> str:
    """The comparison of results written before they named it."""
    return key if key.startswith(("get-", "list-", "create-", "change-")) else "get-task"


def _paired_figures(d: dict) -> dict[str, dict[str, list[dict]]]:
    """The runs the targets are judged on: the alternating rounds of `bench.run.paired`, or
    (in results without them) the one run of each scenario."""
    if d.get("paired"):
        return d["paired"]
    s = d["scenarios"]
    get, lists = s["get-task"], s["list-default"]
    return {
        "get-task": {"a": [get["gateway"][32]], "b": [get["baseline"][32]]},
        "list-default": {"a": [lists["gateway"][32]], "b": [lists["baseline"][32]]},
        "gateway-cost": {"a": [get["gateway"][1]], "b": [get["direct"][1]]},
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _share_of(runs: dict[str, list[dict]]) -> float:
    """Median over rounds of a's requests/s as a percentage of b's in the same round."""
    return _median([100 * a["rps"] / b["rps"] for a, b in zip(runs["a"], runs["b"], strict=True)])


def _targets(results: dict) -> list[str]:
    d, e = results["distributed"], results["embedded"]
    pairs = _paired_figures(d)
    get_share = _share_of(pairs["get-task"])
    list_share = _share_of(pairs["list-default"])
    list_p99 = _median([run["p99_ms"] for run in pairs["list-default"]["a"]])
    cost = pairs["gateway-cost"]
    added = _median([a["p50_ms"] - b["p50_ms"] for a, b in zip(cost["a"], cost["b"], strict=True)])
    rounds = len(pairs["get-task"]["a"])
    create = pairs.get("create-task")
    services = {k: v for k, v in d["rss_idle_mb"].items() if k not in NOT_SERVICES}
    biggest = max(services, key=services.__getitem__)

    def row(what: str, goal: str, measured: str, met: bool) -> list[str]:
        return [what, goal, measured, "met" if met else "**missed**"]

    rows = [
        row(
            "get one task, req/s at 32 conns",
            f">= {TARGET_GET_SHARE} % of baseline",
            f"{get_share:.0f} %",
            get_share >= TARGET_GET_SHARE,
        ),
        row(
            "list 50 of 100,000, p99 at 32 conns",
            f"< {TARGET_LIST_P99_MS} ms",
            f"{list_p99:.1f} ms",
            list_p99 < TARGET_LIST_P99_MS,
        ),
        row(
            "list 50 of 100,000, req/s at 32 conns",
            f">= {TARGET_LIST_SHARE} % of baseline",
            f"{list_share:.0f} %",
            list_share >= TARGET_LIST_SHARE,
        ),
        row(
            "gateway's added p50 at 1 conn (get one)",
            f"< {TARGET_GATEWAY_P50_MS} ms",
            f"{added:.2f} ms",
            added < TARGET_GATEWAY_P50_MS,
        ),
        row(
            "idle RSS per service process",
            f"< {TARGET_SERVICE_RSS_MB} MB",
            f"{services[biggest]:.0f} MB ({biggest}, the largest)",
            services[biggest] < TARGET_SERVICE_RSS_MB,
        ),
        row(
            "idle RSS, embedded stack",
            f"< {TARGET_EMBEDDED_RSS_MB} MB",
            f"{e['rss_idle_mb']:.0f} MB",
            e["rss_idle_mb"] < TARGET_EMBEDDED_RSS_MB,
        ),
        row(
            "embedded stack ready after start",
            f"< {TARGET_EMBEDDED_READY_S} s",
            f"{e['ready_seconds']:.2f} s",
            e["ready_seconds"] < TARGET_EMBEDDED_READY_S,
        ),
    ]
    if create:  # results from before the write baseline have no such rounds
        create_share = _share_of(create)
        create_p99 = _median([run["p99_ms"] for run in create["a"]])
        create_p50 = d["scenarios"]["create-task"]["gateway"][1]["p50_ms"]
        rows += [
            row(
                "create a task, req/s at 32 conns",
                f">= {TARGET_CREATE_SHARE} % of the baseline insert",
                f"{create_share:.0f} %",
                create_share >= TARGET_CREATE_SHARE,
            ),
            row(
                "create a task, p99 at 32 conns",
                f"< {TARGET_CREATE_P99_MS} ms",
                f"{create_p99:.1f} ms",
                create_p99 < TARGET_CREATE_P99_MS,
            ),
            row(
                "create a task, p50 at 1 conn",
                f"< {TARGET_CREATE_P50_1_MS} ms",
                f"{create_p50:.1f} ms",
                create_p50 < TARGET_CREATE_P50_1_MS,
            ),
        ]
    judged = (
        f"Each ratio is the median of {rounds} rounds in which TaskSync and the baseline (or "
        "the tasks service alone, for the gateway's cost) were measured one after the other."
        if rounds > 1
        else "From one run of each scenario."
    )
    return [
        *table(["target", "goal", "measured", ""], rows),
        "",
        judged,
        "The event target (p99 under 100 ms at 1,000 events/s) is in the event backbone "
        "section below.",
    ]


def _resources(results: dict) -> list[str]:
    d, e = results["distributed"], results["embedded"]
    private, share = d.get("uss_idle_mb", {}), d.get("pss_idle_mb", {})

    def mb(figures: dict[str, float], name: str) -> str:
        return f"{figures[name]:.0f}" if name in figures else ""

    rows = [
        [
            f"{name} (bench/baseline.py, for comparison)" if name == "baseline" else name,
            f"{rss:.0f}",
            mb(share, name),
            mb(private, name),
            f"{d['rss_after_load_mb'][name]:.0f}",
        ]
        for name, rss in d["rss_idle_mb"].items()
    ]
    stack = [name for name in d["rss_idle_mb"] if name != "baseline"]
    rows.append(
        [
            "**the distributed stack**",
            "",
            f"{sum(share[n] for n in stack):.0f}" if share else "",
            f"{sum(private[n] for n in stack):.0f}" if private else "",
            "",
        ]
    )
    rows.append(
        [
            "embedded (all in one)",
            f"{e['rss_idle_mb']:.0f}",
            "",
            "",
            f"{e['rss_after_load_mb']:.0f}",
        ]
    )
    embedded_reads = [
        [entry["title"], n, f"{f['rps']:.0f}", _ms(f["p50_ms"]), _ms(f["p99_ms"])]
        for entry in e["scenarios"].values()
        for n, f in entry["embedded"].items()
    ]
    lines = [
        *table(
            [
                "process",
                "idle RSS MB",
                "idle fair share (PSS) MB",
                "idle private (USS) MB",
                "RSS after the load MB",
            ],
            rows,
        ),
        "",
        f"- Distributed stack: migrations, then every service ready, in {d['ready_seconds']} s.",
        f"- Embedded stack: ready {e['ready_seconds']} s after start on existing data; the "
        f"first start on an empty folder (creating and migrating every database) took "
        f"{e['first_start_seconds']} s.",
        f"- Seeding 100,000 tasks: {d['seed_seconds']} s on PostgreSQL, {e['seed_seconds']} s "
        "on SQLite (process start included).",
    ]
    if embedded_reads:
        lines += [
            "",
            "Embedded stack (SQLite, one process) reads of the same 100,000-task room:",
            "",
            *table(["scenario", "conns", "req/s", "p50 ms", "p99 ms"], embedded_reads),
        ]
    return lines


def _profiles(results: dict) -> list[str]:
    profiled = results["distributed"]["profiles"]
    if not profiled:
        return ["(not sampled in quick mode)"]
    lines = []
    for key, processes in profiled.items():
        for process, summary in processes.items():
            if not summary.get("samples"):
                continue
            libraries = ", ".join(f"{k} {v} %" for k, v in summary["self_by_library"].items())
            ours = ", ".join(
                f"`{k}` {v} %" for k, v in list(summary["tasksync_inclusive"].items())[:6]
            )
            lines += [
                f"- **{key}, {process}** ({summary['samples']} samples): self time by library: "
                f"{libraries}.",
                f"  TaskSync functions, time inside them: {ours}.",
            ]
    return lines


def _reports(results: dict) -> list[str]:
    scenarios = results["distributed"]["scenarios"]
    rows, targets = [], []
    for key, goal in REPORT_TARGETS_MS.items():
        entry = scenarios.get(key)
        if entry is None:
            continue
        for n, f in entry["gateway"].items():
            rows.append(
                [
                    entry["title"],
                    n,
                    f"{f['rps']:.0f}",
                    _ms(f["p50_ms"]),
                    _ms(f["p99_ms"]),
                    f["errors"],
                ]
            )
        at = entry["gateway"].get(REPORT_CONNECTIONS) or entry["gateway"].get(
            str(REPORT_CONNECTIONS)
        )
        if at:
            targets.append(
                [
                    f"{entry['title']}, p99 at {REPORT_CONNECTIONS} conns",
                    f"< {goal} ms",
                    f"{at['p99_ms']:.1f} ms",
                    "met" if at["p99_ms"] < goal else "**missed**",
                ]
            )
    load = results.get("load_average")
    busy = (
        f" (load average {load} on {results['machine']['cores']} cores when it began)"
        if load
        else ""
    )
    mode = "quick mode" if results["quick"] else "`make bench`"
    only = " with `--only`" if results.get("only") else ""
    return [
        f"Measured {results['when']} by {mode}{only}{busy}, through the gateway of the "
        "distributed stack on PostgreSQL, after the reports service rebuilt its read model "
        "of the 100,000-task room.",
        "",
        *table(["target", "goal", "measured", ""], targets),
        "",
        *table(["scenario", "conns", "req/s", "p50 ms", "p99 ms", "errors"], rows),
    ]


def write_reports(results: dict) -> None:
    """Just the reports section (a run of `--only` report scenarios)."""
    replace_section("reports", _reports(results))


def write_document(results: dict) -> None:
    replace_section("machine", _machine(results))
    replace_section("targets", _targets(results))
    replace_section("http", _scenarios(results))
    replace_section("resources", _resources(results))
    replace_section("profiles", _profiles(results))
    if any(key.startswith("report-") for key in results["distributed"]["scenarios"]):
        replace_section("reports", _reports(results))
