"""Where a request's CPU time goes: py-spy samples the running processes under load, and the
samples are summed by library (the function running when sampled) and by TaskSync function
(everything below it)."""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Frames under which every sample of a process runs (`tasksync serve`): listing them says nothing.
WHOLE_PROCESS = ("tasksync/cli/main.py", "tasksync/cli/server.py")
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("py-spy is missing: run 'make bench' (it installs the bench tools)")
    return found


def start(pids: dict[str, int], seconds: float, out_dir: Path) -> dict[str, subprocess.Popen]:
    """Starts sampling each process for `seconds`; `finish` waits for them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        name: subprocess.Popen(
            [
                py_spy(),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "250",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(out_dir / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    }


def _module_path(path: str) -> str:
    """py-spy names files from their import root (`starlette/routing.py`); absolute paths
    appear for code it could not place."""
    return path.split("site-packages/", 1)[1] if "site-packages/" in path else path


def _library(path: str) -> str:
    package, slash, _ = _module_path(path).partition("/")
    return package if slash and not package.startswith("<") else "python stdlib"


def summarise(raw: Path, top: int = 8) -> dict:
    """Self time by library, and inclusive time of TaskSync's own functions, in % of samples."""
    by_library: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [FRAME.match(f) for f in stack.split(";")]
        parsed = [(m["function"], m["file"]) for m in frames if m]
        if not parsed:
            continue
        total += count
        by_library[_library(parsed[-1][1])] += count
        seen = set()
        for function, file in parsed:
            module = _module_path(file)
            if (
                module.startswith("tasksync/")
                and module not in WHOLE_PROCESS
                and not function.startswith("<")
            ):
                seen.add(f"{module.removesuffix('.py').replace('/', '.')}.{function}")
        for name in seen:
            ours[name] += count

    def percent(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "self_by_library": {k: percent(v) for k, v in by_library.most_common(top)},
        "tasksync_inclusive": {k: percent(v) for k, v in ours.most_common(top)},
    }


def finish(running: dict[str, subprocess.Popen], out_dir: Path) -> dict[str, dict]:
    summaries = {}
    for name, process in running.items():
        process.wait(timeout=120)
        raw = out_dir / f"{name}.txt"
        summaries[name] = summarise(raw) if raw.exists() else {"samples": 0}
    return summaries
