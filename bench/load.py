"""Drives HTTP load with wrk (from Debian's packages) and reads its figures.

wrk is a C load generator: one thread keeps 32 connections busy for a few percent of a core.
A Python generator would need most of a core to do the same, and on a 2-core machine that
core is taken from the services under test, so the figures would measure the generator.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("requests.lua")


# A body's line breaks, tabs and backslashes as requests.lua reads them back (a multipart
# body is made of CRLF lines; a plan holds one request a line).
ESCAPES = str.maketrans({"\\": "\\\\", "\r": "\\r", "\n": "\\n", "\t": "\\t"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str = ""
    body: str = ""
    content_type: str = "application/json"

    def line(self) -> str:
        body = self.body.translate(ESCAPES)
        return "\t".join((self.method, self.path, self.token, self.content_type, body))


@dataclass(frozen=True)
class Figures:
    """One load run: requests/s and latency percentiles in milliseconds."""

    connections: int
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is missing: run 'make bench' (it installs wrk), or apt-get install wrk"
        )
    return found


def run(base_url: str, requests: list[Request], *, connections: int, seconds: int) -> Figures:
    """Replays `requests` in turn over `connections` keep-alive connections for `seconds`."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as plan:
        plan.write("\n".join(r.line() for r in requests) + "\n")
    try:
        finished = subprocess.run(
            [
                wrk_path(),
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(SCRIPT),
                base_url,
                "--",
                plan.name,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(plan.name).unlink()
    raw = json.loads(finished.stdout.strip().splitlines()[-1])
    return Figures(
        connections=connections,
        requests=raw["requests"],
        rps=round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=raw["non_2xx"] + raw["socket_errors"],
    )
