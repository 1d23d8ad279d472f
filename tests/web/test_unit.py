"""The web app's Vitest unit tests (state, API and live layers), run inside the Python suite
so `make test` runs them too."""

import os
import shutil
import subprocess

import pytest

from tests.web.conftest import WEB


def test_vitest_suite_passes() -> None:
    if not (WEB / "node_modules" / ".bin" / "vitest").exists():
        pytest.fail("The web app's packages are missing: run `make web` (make test does it).")
    npx = shutil.which("npx")
    assert npx, "npx is missing: run `sh scripts/ensure-node.sh`"
    result = subprocess.run(
        [npx, "vitest", "run", "--reporter=dot"],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "1", "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
