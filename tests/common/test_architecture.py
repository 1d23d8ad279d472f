"""The rules that keep TaskSync microservices, checked on the source itself."""

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "tasksync"
SHARED = {"common"}
COMPOSITION = {"stack.py", "cli"}
PACKAGES = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
SERVICES = [p for p in PACKAGES if p not in SHARED | COMPOSITION]


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n.split(".")[1] for n in names if n.startswith("tasksync.") and n.count(".") >= 1}


@pytest.mark.parametrize("service", SERVICES)
def test_service_imports_only_itself_and_common(service: str) -> None:
    offenders = {
        f"{path.relative_to(SOURCE)} imports tasksync.{package}"
        for path in (SOURCE / service).rglob("*.py")
        for package in _imported_packages(path)
        if package not in {service, *SHARED}
    }
    assert not offenders, "services must not import each other:\n" + "\n".join(sorted(offenders))


def test_common_imports_no_service() -> None:
    offenders = {
        f"{path.relative_to(SOURCE)} imports tasksync.{package}"
        for path in (SOURCE / "common").rglob("*.py")
        for package in _imported_packages(path)
        if package != "common"
    }
    assert not offenders, "common must stay free of domain code:\n" + "\n".join(sorted(offenders))


def test_the_rule_catches_a_cross_service_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from tasksync.users.models import User\nimport tasksync.common.db\n")
    assert _imported_packages(module) == {"users", "common"}
