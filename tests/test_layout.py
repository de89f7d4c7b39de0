"""The arrows that must not exist between the parts of ``autograder/`` (docs/ARCHITECTURE.md).

The sandbox runs next to student code and must not pull in the engine, the speed-ups, the
records, the hidden suites or the reference; the speed-ups are strategies the engine holds and
must not depend on it. Read from each module's import statements, so a new module is covered.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "sandbox": (
        "autograder.engine",
        "autograder.speedups",
        "autograder.records",
        "autograder.suites",
        "solutions",
    ),
    "speedups": ("autograder.engine", "autograder.records"),
}


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, including ``from autograder import engine``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_a_part_imports_nothing_it_must_not(part: str) -> None:
    modules = sorted((ROOT / "autograder" / part).rglob("*.py"))
    assert modules, f"autograder/{part}/ holds no module"
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in sorted(imported(path))
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[part])
    ]
    assert not crossings, "\n".join(crossings)


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from autograder import records\nimport solutions.variants\n")
    assert {"autograder.records", "solutions.variants"} <= imported(module)
