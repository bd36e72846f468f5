# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters ``fleet_projects`` and ``fleet_projects_summary`` (documented in the .yml files beside this one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.lockaware.hcloud.plugins.plugin_utils.fleet_projects import ProjectsError, checked_projects, project_outcome, projects_summary


def fleet_projects(projects: Any, label_selector: str = "", server_status: list | None = None) -> list[dict]:
    """``projects`` checked, with their defaults, without their tokens."""
    try:
        return checked_projects(projects, label_selector, server_status)
    except ProjectsError as exc:
        raise AnsibleFilterError(f"lockaware.hcloud.fleet_projects: {exc}") from None


def fleet_projects_summary(project_hosts: list[Mapping]) -> dict:
    """The summary of a several-projects run, from the variables of each project's host."""
    outcomes = []
    for host in project_hosts:
        project = host.get("hcloud_project") or {}
        outcomes.append(project_outcome(str(project.get("name", "?")), host.get("fleet_find"), host.get("fleet_run")))
    return projects_summary(outcomes)


class FilterModule:
    """Several Hetzner Cloud projects in one fleet run."""

    def filters(self) -> dict:
        return {"fleet_projects": fleet_projects, "fleet_projects_summary": fleet_projects_summary}
