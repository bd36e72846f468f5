"""The ``role`` strategy: ``roles/snapshot_host`` on every host, one snapshot task per host, ``-f 50``; and its goals
next to those of ``snapshot_hosts.yml`` (the in-process path of the action plugins).

Goals are ``(text, measured, verdict)`` tuples: ``bench/report.py`` makes its ``Goal`` rows from them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROLE_FORKS = 50
ROLE_LABEL = "role snapshot_host (-f 50)"
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# strategy: (wall / ideal at 200 servers, requests per server, controller CPU s per host), each at most.
HOST_GOALS = {"hosts": (1.2, 3.5, 0.1), "role": (1.5, 8.0, 0.2)}


def role_command(fleet: Any, workdir: Path) -> list[str]:
    """The command line of the role strategy, over a static inventory of the fleet."""
    inventory = workdir / f"inventory-role-{fleet.size}.yml"
    inventory.write_text(yaml.safe_dump(fleet.inventory(sys.executable), sort_keys=False), encoding="utf-8")
    return [str(BIN / "ansible-playbook"), "-i", str(inventory), "bench/playbooks/role_hosts.yml", "-f", str(ROLE_FORKS)]


def host_goals(results: list[Any], labels: dict[str, str]) -> list[tuple[str, str, bool | None]]:
    """The goals of the host paths at 200 servers: wall over ideal, requests per server, controller CPU per host."""
    found: list[tuple[str, str, bool | None]] = []
    for strategy, (ratio_limit, requests_limit, cpu_limit) in HOST_GOALS.items():
        run = next((result for result in results if result.strategy == strategy and result.size == 200), None)
        label = labels[strategy]
        ratio = None if run is None else run.ratio
        per_server = None if run is None else run.requests.total / run.size
        cpu = None if run is None else run.process.cpu_seconds / run.size
        found += [
            (f"200 servers, {label}: at most {ratio_limit}x the ideal", _show(ratio, "x"), _at_most(ratio, ratio_limit)),
            (f"200 servers, {label}: at most {requests_limit:g} requests per server", _show(per_server), _at_most(per_server, requests_limit)),
            (f"200 servers, {label}: at most {cpu_limit} s controller CPU per host", _show(cpu, " s", 3), _at_most(cpu, cpu_limit)),
        ]
    return found


def _show(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit
