"""The simulator's layout: no import cycle in ``hcloud_sim``, the backend's families meet only at their seams, small files.

The import graph is read from the source with ``ast``: every ``import`` counts, those under
``if TYPE_CHECKING:`` and inside functions too (a cycle that only type checking sees is still one
that a reader has to untangle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "hcloud_sim"
MAX_LINES = 300
# the backend's layers below the families: what any family may import from its own package
BACKEND_BASE = {"hcloud_sim.backend.models", "hcloud_sim.backend.store", "hcloud_sim.backend.seams"}


def module_files() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package is its ``__init__``)."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that the module ``name`` (at ``path``) imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            # ``from X import Y`` imports the module X.Y when there is one, else a name of X
            found.update(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target for alias in node.names)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    files = module_files()
    return {name: imported_modules(name, path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None when the graph has none."""
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*trail, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    assert {"hcloud_sim.backend.models", "hcloud_sim.backend.store", "hcloud_sim.backend.servers"} <= graph["hcloud_sim.backend"]
    assert graph["hcloud_sim.backend.store"] >= {"hcloud_sim.backend.models", "hcloud_sim.settings"}
    assert "hcloud_sim.api.actions" in graph["hcloud_sim.api"]  # from . import actions, ...
    assert "hcloud_sim.backend" in graph["hcloud_sim.api.servers"]  # from ..backend import Backend


def test_no_import_cycle_in_hcloud_sim() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", sorted(name for name in module_files() if name.startswith("hcloud_sim.backend.")))
def test_a_backend_family_imports_no_other_family(module: str) -> None:
    """Only ``Backend`` (the package) wires the families together; each one sees the others through ``seams``."""
    own_package = {name for name in import_graph()[module] if name.startswith("hcloud_sim.backend")}
    allowed = {"hcloud_sim.backend.models": set(), "hcloud_sim.backend.store": {"hcloud_sim.backend.models"}}.get(module, BACKEND_BASE)
    assert own_package <= allowed - {module}, f"{module} imports {sorted(own_package - allowed)}"


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE_DIR)))
def test_no_file_is_longer_than_300_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE_DIR.parent)} has {lines} lines (at most {MAX_LINES})"
