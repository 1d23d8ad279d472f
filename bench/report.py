"""Where benchmark figures go: bench/results/<name>-<timestamp>.json (not committed) and
the generated sections of docs/performance.md (between `<!-- name:start -->` and
`<!-- name:end -->`; the prose around them is written by hand and kept)."""

import json
import os
import platform
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _version(command: list[str], pattern: str) -> str:
    if shutil.which(command[0]) is None:
        return "not found"
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(pattern, done.stdout + done.stderr)
    return found.group(1) if found else "unknown"


def machine() -> dict[str, str | int]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        memory_kib = int(info.readline().split()[1])
    return {
        "cores": os.cpu_count() or 0,
        "cpu": cpu,
        "memory_gib": round(memory_kib / 1024**2, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "postgresql": _version(["psql", "--version"], r"(\d+\.\d+)"),
        "redis": _version(["redis-server", "--version"], r"v=(\S+)"),
        "wrk": _version(["wrk", "--version"], r"wrk (\S+)"),
    }


def save_results(name: str, when: str, figures: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{when}.json"
    path.write_text(json.dumps(figures, indent=2, default=str))
    return path


def replace_section(name: str, lines: list[str]) -> None:
    """Writes `lines` as the generated section `name` of docs/performance.md."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = "\n".join([start, *lines, end])
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(text)


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows),
    ]
