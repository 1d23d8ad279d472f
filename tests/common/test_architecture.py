"""The rules that keep TaskSync microservices, checked on the source itself."""

import ast
from pathlib import Path

import pytest

from tasksync.common import registry

SOURCE = Path(__file__).resolve().parents[2] / "src" / "tasksync"
# Import roots every service may use: the mechanisms and the shared data.
KIT = {"common", "contracts"}
# The code that composes services: the only place that may import all of them.
COMPOSITION = {"cli", "stack"}
PACKAGES = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
SERVICES = [p for p in PACKAGES if p not in KIT | COMPOSITION]


def _imported_packages(path: Path) -> set[str]:
    """The `tasksync.<package>` names a file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n.split(".")[1] for n in names if n.startswith("tasksync.")}


def _offenders(folder: str, allowed: set[str]) -> set[str]:
    return {
        f"{path.relative_to(SOURCE)} imports tasksync.{package}"
        for path in (SOURCE / folder).rglob("*.py")
        for package in _imported_packages(path)
        if package not in allowed
    }


def test_every_package_is_a_service_of_the_registry_the_kit_or_composition() -> None:
    assert set(SERVICES) == {"gateway", *registry.NAMES}
    assert (SOURCE / "stack.py").is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_service_imports_only_itself_and_the_kit(service: str) -> None:
    offenders = _offenders(service, {service, *KIT})
    assert not offenders, "services must not import each other:\n" + "\n".join(sorted(offenders))


def test_common_imports_no_service() -> None:
    offenders = _offenders("common", KIT)
    assert not offenders, "common must stay free of domain code:\n" + "\n".join(sorted(offenders))


def test_contracts_are_pure_data_importing_nothing_of_ours() -> None:
    offenders = _offenders("contracts", {"contracts"})
    assert not offenders, "contracts import only contracts:\n" + "\n".join(sorted(offenders))


def test_the_rule_catches_a_cross_service_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "from tasksync.users.models import User\nimport tasksync.common.db\nimport tasksync\n"
    )
    assert _imported_packages(module) == {"users", "common"}
