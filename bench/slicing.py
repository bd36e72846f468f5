"""How AWX splits a job template's inventory into slices, and the inventory each slice's job is given.

From AWX (github.com/ansible/awx, ``awx/main/models/inventory.py`` and ``awx/main/models/jobs.py`` at e21dd0a0):

- ``JobTemplate.get_effective_slice_ct``: the slice count is ``min(job_slice_count, hosts in the inventory)``; a count
  of 1 runs one job, more makes a workflow with one job per slice, all launched together.
- ``Inventory.get_script_data``: the enabled hosts ordered by name, then ``get_sliced_hosts``:
  ``hosts[slice_number - 1::slice_count]`` (every ``slice_count``-th host from the slice's own offset, so the slices
  interleave; slice numbers start at 1). Groups keep only their hosts of the slice; ungrouped hosts go to
  ``all.hosts``, the inventory's variables to ``all.vars``, host variables to ``_meta.hostvars`` with
  ``remote_tower_enabled``/``remote_tower_id`` and ``remote_host_enabled``/``remote_host_id`` added.
- ``BaseTask.write_inventory_file``: the job's inventory is an executable script printing that JSON.

The benchmark's inventory has no groups, so only the ungrouped form is built here.
"""

from __future__ import annotations

import json
from typing import Any


def effective_slice_count(requested: int, hosts: int) -> int:
    """The slices AWX launches: never more than the inventory's hosts, at least one job."""
    if requested < 1:
        raise ValueError(f"a slice count is 1 or more, not {requested}")
    return max(1, min(requested, hosts))


def slice_hosts(names: list[str], number: int, count: int) -> list[str]:
    """The hosts of slice ``number`` (1-based) of ``count``: the names ordered, every ``count``-th from ``number - 1``."""
    if not 1 <= number <= count:
        raise ValueError(f"slice {number} of {count}: slice numbers run from 1 to the slice count")
    ordered = sorted(names)
    return ordered[number - 1 :: count] if count > 1 else ordered


def split(names: list[str], requested: int) -> list[list[str]]:
    """Every slice's hosts, in slice order, as AWX would launch them for a job slice count of ``requested``."""
    count = effective_slice_count(requested, len(names))
    return [slice_hosts(names, number, count) for number in range(1, count + 1)]


def script_data(hostvars: dict[str, dict[str, Any]], all_vars: dict[str, Any], hosts: list[str], first_id: int = 1) -> dict[str, Any]:
    """The JSON AWX's inventory script prints for the slice holding ``hosts`` (ungrouped hosts, their variables)."""
    ids = {name: first_id + index for index, name in enumerate(sorted(hostvars))}
    meta: dict[str, dict[str, Any]] = {}
    for name in hosts:
        meta[name] = dict(hostvars[name])
        for prefix in ("host", "tower"):
            meta[name].update({f"remote_{prefix}_enabled": "true", f"remote_{prefix}_id": ids[name]})
    data: dict[str, Any] = {"all": {"hosts": list(hosts)}, "_meta": {"hostvars": meta}}
    if all_vars:
        data["all"]["vars"] = dict(all_vars)
    return data


def inventory_script(data: dict[str, Any]) -> str:
    """The executable inventory file AWX writes into the job's private data dir (``inventory/hosts``)."""
    return "#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(data)  # noqa: UP031 - AWX's own format
