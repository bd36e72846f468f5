# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layering rule of ``plugins/module_utils`` (docs/guide.md, "How the code is laid out"), read from the imports.

The steps (every file that is neither a result shape nor an orchestrator) return plain data and import no result
shape and no orchestrator; the result shapes import no orchestrator; only the orchestrators and the modules put
results together. And the guide's layout table names every file of ``plugins/module_utils``, each in the folder
of its step (``plugins/module_utils/<step>/``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.task import _failure

MODULE_UTILS = Path(_failure.__file__).resolve().parents[1]
GUIDE = MODULE_UTILS.parents[1] / "docs" / "guide.md"
PACKAGE = "ansible_collections.lockaware.hcloud.plugins.module_utils"

# The result shapes the modules' RETURN documents (the "report" step, and the restore's and the drill's own).
VIEWS = {"_views", "_retention_report", "_restore_view", "_drill_views"}
# What puts a task together: it calls the steps, then a view; nothing below it imports it.
ORCHESTRATORS = {"_snapshot_task", "_task_report", "_fleet", "_restore_task", "_drill_task", "_module_main"}


def module_paths() -> dict[str, Path]:
    """Every file of module_utils by name: ``{"_failure": .../module_utils/task/_failure.py, ...}``."""
    return {path.stem: path for path in sorted(MODULE_UTILS.rglob("*.py")) if path.stem != "__init__"}


def module_names() -> list[str]:
    return sorted(module_paths())


def imported_siblings(source: str) -> set[str]:
    """The module_utils files a source imports, by name (``from ..._views import x``, ``from ... import _views``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(f"{PACKAGE}."):
                found.add(node.module.rsplit(".", 1)[1])
            elif node.module == PACKAGE or node.level:
                found.update(alias.name for alias in node.names)
                if node.level and node.module:
                    found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.rsplit(".", 1)[1] for alias in node.names if alias.name.startswith(f"{PACKAGE}."))
    return found


def layering_breaches(sources: dict[str, str]) -> list[str]:
    """Every import that goes up a layer: a step importing a view or an orchestrator, a view importing an orchestrator."""
    breaches = []
    for name, source in sorted(sources.items()):
        above = ORCHESTRATORS if name in VIEWS else set() if name in ORCHESTRATORS else VIEWS | ORCHESTRATORS
        breaches.extend(f"{name} imports {target}" for target in sorted(imported_siblings(source) & above))
    return breaches


def test_no_step_imports_a_view_and_no_view_imports_an_orchestrator():
    sources = {name: path.read_text(encoding="utf-8") for name, path in module_paths().items()}
    assert layering_breaches(sources) == []


def test_the_named_layers_exist():
    """A renamed view or orchestrator would leave the rule checking nothing about it."""
    assert (VIEWS | ORCHESTRATORS) - set(module_names()) == set()


@pytest.mark.parametrize(
    "name, source, breach",
    [
        ("_locks", f"from {PACKAGE}._views import lock_view\n", "_locks imports _views"),
        ("_locks", f"from {PACKAGE} import _views\n", "_locks imports _views"),
        ("_pricing", f"import {PACKAGE}._retention_report\n", "_pricing imports _retention_report"),
        ("_actions", "from ._fleet import FleetRun\n", "_actions imports _fleet"),
        ("_views", f"from {PACKAGE}._snapshot_task import TaskState\n", "_views imports _snapshot_task"),
    ],
)
def test_the_rule_sees_an_import_up_a_layer(name, source, breach):
    assert layering_breaches({name: source}) == [breach]


def test_the_rule_lets_views_read_steps_and_orchestrators_read_views():
    sources = {
        "_views": f"from {PACKAGE}._locks import LockReport\nfrom {PACKAGE}._retention_report import retention_summary\n",
        "_snapshot_task": f"from {PACKAGE}._views import task_view\nfrom {PACKAGE}._fleet import FleetRun\n",
        "_locks": f"from {PACKAGE}._actions import describe_actions\n",
    }
    assert layering_breaches(sources) == []


def layout_table() -> str:
    """The table of the guide's section "How the code is laid out"."""
    section = GUIDE.read_text(encoding="utf-8").split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_the_guide_lays_out_every_file_of_module_utils():
    named = set(re.findall(r"`(_[a-z_]+)\.py`", layout_table()))
    assert set(module_names()) - named == set(), "files of plugins/module_utils the guide's layout table leaves out"
    assert named - set(module_names()) == set(), "files the guide's layout table names that are not in plugins/module_utils"


def steps_in_the_guide() -> dict[str, str]:
    """The step the guide's layout table puts each module_utils file in (a row without a step continues the last)."""
    steps, step = {}, ""
    for line in layout_table().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        step = cells[0] or step
        steps.update((name, step) for name in re.findall(r"`(_[a-z_]+)\.py`", cells[1]))
    return steps


def test_every_file_lies_in_the_folder_of_its_step():
    """A reader who opens plugins/module_utils sees the steps: api, waiting, fleet, task, retention, report, restore, drill."""
    misplaced = {
        name: f"{path.parent.name}/, the guide says {steps_in_the_guide().get(name)}/"
        for name, path in module_paths().items()
        if path.parent.name != steps_in_the_guide().get(name)
    }
    assert misplaced == {}
