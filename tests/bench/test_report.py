"""The benchmark's own arithmetic and reporting (no timing is asserted: the figures are made
up here, and what is checked is what the report says about them)."""

import re
from pathlib import Path

import pytest

from bench import document, load, profiles, report, scenarios


def _figures(rps: float, p50: float, p99: float) -> dict:
    return {
        "connections": 1,
        "requests": int(rps * 5),
        "rps": rps,
        "p50_ms": p50,
        "p95_ms": p99,
        "p99_ms": p99,
        "max_ms": p99,
        "errors": 0,
    }


def _results() -> dict:
    def entry(title: str, gateway: float, baseline: float | None, direct: float | None) -> dict:
        found = {
            "title": title,
            "gateway": {1: _figures(gateway, 2.0, 4.0), 32: _figures(gateway, 40.0, 45.0)},
        }
        if baseline:
            found["baseline"] = {n: _figures(baseline, 0.5, 1.0) for n in (1, 32)}
        if direct:
            found["direct"] = {n: _figures(direct, 1.5, 3.0) for n in (1, 32)}
        return found

    return {
        "when": "20261122T000000Z",
        "quick": True,
        "seconds_per_run": 2,
        "machine": report.machine(),
        "distributed": {
            "seed_seconds": 6.0,
            "ready_seconds": 5.0,
            "rss_idle_mb": {"supervisor": 60.0, "gateway": 90.0, "tasks": 95.0, "baseline": 50.0},
            "rss_after_load_mb": {
                "supervisor": 60.0,
                "gateway": 91.0,
                "tasks": 99.0,
                "baseline": 52.0,
            },
            "scenarios": {
                "get-task": entry("get one task", 600, 2400, 800),
                "list-default": entry("list 50, default sort", 300, 600, None),
                "create-task": entry("create a task", 150, 1500, None),
            },
            "profiles": {},
        },
        "embedded": {
            "seed_seconds": 7.0,
            "first_start_seconds": 2.0,
            "ready_seconds": 1.5,
            "rss_idle_mb": 120.0,
            "rss_after_load_mb": 125.0,
            "scenarios": {},
        },
    }


@pytest.fixture
def doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "performance.md"
    path.write_text(
        "# Performance\n\nWritten by hand.\n\n"
        "<!-- http:start -->\nstale figures\n<!-- http:end -->\n\nAfter.\n"
    )
    monkeypatch.setattr(report, "DOC", path)
    return path


def test_the_report_rewrites_its_sections_and_keeps_the_prose(doc: Path) -> None:
    document.write_document(_results())
    text = doc.read_text()
    assert "Written by hand." in text
    assert "After." in text
    assert "stale figures" not in text
    for section in ("machine", "targets", "http", "resources", "profiles"):
        assert text.count(f"<!-- {section}:start -->") == 1


def test_every_figure_is_shown_against_the_baseline(doc: Path) -> None:
    document.write_document(_results())
    text = doc.read_text()
    get_row = next(line for line in text.splitlines() if line.startswith("| get one task | 32 |"))
    assert "| 25 % |" in get_row  # 600 of 2,400 req/s
    create_row = next(
        line for line in text.splitlines() if line.startswith("| create a task | 1 |")
    )
    assert "| 10 % |" in create_row  # a write is compared with the baseline's same write (1,500)


def test_the_other_services_are_shown_against_the_baseline_get(doc: Path) -> None:
    results = _results()
    results["distributed"]["scenarios"]["comments-create"] = {
        "title": "comments: create one",
        "compare_with": "get-task",
        "gateway": {n: _figures(240, 30.0, 60.0) for n in (1, 32)},
    }
    document.write_document(results)
    lines = doc.read_text().splitlines()
    assert "| 10 % |" in verdict_row("comments: create one | 32 |", lines)  # 240 of 2,400


def test_a_multipart_body_travels_on_one_line_of_the_plan() -> None:
    body = scenarios.upload_body("a.txt")
    assert scenarios.UPLOAD_TYPE.endswith("boundary=tasksync-bench")
    assert body.count("\r\n") == 6
    assert len(body.split("\r\n\r\n", 1)[1].split("\r\n", 1)[0]) == scenarios.FILE_BYTES
    line = load.Request("POST", "/files", "token", body + "\t\\", scenarios.UPLOAD_TYPE).line()
    assert "\n" not in line
    assert "\r" not in line
    fields = line.split("\t")
    assert fields[:4] == ["POST", "/files", "token", scenarios.UPLOAD_TYPE]
    # What requests.lua does with it: each backslash and the character after it, one pass.
    unescaped = {"r": "\r", "n": "\n", "t": "\t", "\\": "\\"}
    assert re.sub(r"\\(.)", lambda m: unescaped[m[1]], fields[4]) == body + "\t\\"


def test_targets_say_what_was_met_and_what_was_missed(doc: Path) -> None:
    document.write_document(_results())
    lines = doc.read_text().splitlines()

    def verdict(target: str) -> str:
        return next(line for line in lines if line.startswith(f"| {target}")).rsplit("|", 2)[1]

    assert "missed" in verdict("get one task, req/s")  # 25 % < 50 %
    assert verdict("list 50 of 100,000, req/s").strip() == "met"  # 50 % >= 40 %
    assert verdict("list 50 of 100,000, p99").strip() == "met"  # 45 ms < 50 ms
    assert "missed" in verdict("idle RSS per service")  # 95 MB, not the baseline's 50
    assert "(tasks, the largest)" in verdict_row("idle RSS per service", lines)
    assert verdict("gateway's added p50").strip() == "met"  # 0.5 ms


def test_profiles_are_summed_by_library_and_by_our_functions(tmp_path: Path) -> None:
    raw = tmp_path / "gateway.txt"
    raw.write_text(
        "run (asyncio/runners.py:1);handle (tasksync/gateway/proxy.py:10);"
        "request (aiohttp/client.py:5) 3\n"
        "run (asyncio/runners.py:1);handle (tasksync/gateway/proxy.py:10) 1\n"
        "malformed line\n"
    )
    summary = profiles.summarise(raw)
    assert summary["samples"] == 4
    assert summary["self_by_library"] == {"aiohttp": 75.0, "tasksync": 25.0}
    assert summary["tasksync_inclusive"] == {"tasksync.gateway.proxy.handle": 100.0}


def verdict_row(target: str, lines: list[str]) -> str:
    return next(line for line in lines if line.startswith(f"| {target}"))


def test_targets_take_the_median_of_the_alternating_rounds(doc: Path) -> None:
    results = _results()
    # Round two caught the machine busy for TaskSync only: one odd ratio, not the verdict.
    results["distributed"]["paired"] = {
        "get-task": {
            "a": [_figures(1300, 1, 2), _figures(400, 1, 2), _figures(1250, 1, 2)],
            "b": [_figures(2400, 1, 2), _figures(2400, 1, 2), _figures(2400, 1, 2)],
        },
        "list-default": {
            "a": [_figures(700, 20, 40), _figures(700, 20, 90), _figures(700, 20, 45)],
            "b": [_figures(600, 20, 40)] * 3,
        },
        "gateway-cost": {
            "a": [_figures(500, 1.8, 3), _figures(500, 1.7, 3), _figures(500, 1.9, 3)],
            "b": [_figures(900, 1.0, 2)] * 3,
        },
    }
    document.write_document(results)
    lines = doc.read_text().splitlines()
    assert "| 52 % | met |" in verdict_row("get one task, req/s", lines)  # 1250 of 2400
    assert "| 45.0 ms | met |" in verdict_row("list 50 of 100,000, p99", lines)
    assert "| 0.80 ms | met |" in verdict_row("gateway's added p50", lines)
    assert any("median of 3 rounds" in line for line in lines)
