#!/usr/bin/python
# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scratch_server
short_description: Restore a server's newest snapshot onto a scratch server for a restore drill, and delete it again
version_added: 0.2.0
description:
  - The building block of the restore drill (the playbook C(lockaware.hcloud.restore_drill)), which proves that a
    server's snapshots restore.
  - O(state=present) creates a scratch server from the newest C(available) snapshot made from O(origin) (its
    C(created_from) is that server; never another server's snapshot, a backup or a system image), in the origin's
    location, of the smallest server type that fits the snapshot's disk and architecture, and waits until it runs.
    Check mode says which snapshot and type it would use.
  - The smallest type is chosen from C(GET /server_types) among the types that are not deprecated, have the snapshot's
    architecture, a disk of at least the snapshot's C(disk_size) and are available in the location; of those, the smallest disk,
    then the lowest hourly price in that location (C(GET /pricing)), then the fewest cores and the least memory.
  - Every scratch server carries the labels C(lockaware.hcloud/drill=<run id>) (the mark),
    C(lockaware.hcloud/drill-origin=<server ID>), C(lockaware.hcloud/drill-snapshot=<image ID>),
    C(lockaware.hcloud/drill-expires=<UTC time>) and C(lockaware.hcloud/request), unique to its create request. When
    the answer to the create request is lost, the module looks for a server with that label before it sends the request
    again, so a drill never makes two scratch servers for one server.
  - If anything fails after the create request was sent (the create action, the wait, a cancel by SIGINT, SIGTERM or
    SIGHUP), the module deletes the scratch server before it fails, waiting up to O(lock_timeout) for its create
    actions to end.
  - O(state=absent) deletes scratch servers and reports what each was billed (every started hour, at least one, at the
    hourly price of C(GET /pricing), at most the monthly price). It deletes only servers carrying the mark, never one
    with delete protection, and is not stopped by a cancel (it is bounded by O(lock_timeout)).
author:
  - lockaware.hcloud maintainers (@lockaware)
extends_documentation_fragment:
  - lockaware.hcloud.api
  - lockaware.hcloud.attributes
attributes:
  check_mode:
    description: Reads only, and says which snapshot and server type a real run would use, or which servers it would delete.
    support: full
  diff_mode:
    description: Shows nothing more.
    support: none
  idempotent:
    description: O(state=present) creates a new scratch server each time (a drill restores afresh); O(state=absent) is idempotent.
    support: partial
options:
  state:
    description:
      - V(present) restores O(origin)'s newest snapshot onto a new scratch server and waits until it runs.
      - V(absent) deletes the scratch servers of O(run_id) (only those restored from O(origin), when given) and, with
        O(leftovers), those of earlier runs.
    type: str
    choices: [present, absent]
    default: present
  origin:
    description:
      - Name or ID of the server whose snapshot is restored. Required with O(state=present).
    type: str
  run_id:
    description:
      - The drill's run, the value of the label C(lockaware.hcloud/drill), 1 to 40 letters, digits or C(-), starting and
        ending with a letter or digit. Required with O(state=present).
    type: str
  snapshot_labels:
    description:
      - Restore only a snapshot carrying all of these labels (for example the series of C(backup=daily)).
    type: dict
    default: {}
  expires_in:
    description:
      - How long after its creation the scratch server may still be needed (the restore and your checks), as a number of
        seconds or a duration such as V(90m) or V(3h). Written into the label C(lockaware.hcloud/drill-expires); with
        O(leftovers=expired), a drill deletes other runs' scratch servers only once they expired.
    type: str
    default: 3h
  ssh_keys:
    description:
      - SSH keys (names or IDs) for the scratch server's root user, so that your checks can log in.
    type: list
    elements: str
    default: []
  wait_timeout:
    description:
      - Seconds to wait until the scratch server runs (a server built from a large snapshot can take most of an hour).
    type: int
    default: 3600
  lock_timeout:
    description:
      - Seconds to wait, before deleting a scratch server, for the actions running on it (a server being created is
        locked until it runs).
    type: int
    default: 600
  leftovers:
    description:
      - With O(state=absent), also delete the scratch servers of other runs than O(run_id).
      - V(all) deletes every one of them (a drill that crashed or was killed left them; do not run two drills of one
        project at once with it). V(expired) only those past their C(lockaware.hcloud/drill-expires). V(none) none.
    type: str
    choices: [none, all, expired]
    default: none
  poll_budget:
    description:
      - The share of the project's API rate limit that the waits may use (see M(lockaware.hcloud.snapshot)).
    type: float
    default: 0.25
"""

EXAMPLES = r"""
- name: Restore web1's newest snapshot onto a scratch server
  lockaware.hcloud.scratch_server:
    origin: web1
    run_id: "{{ drill_run_id }}"
  register: restored

- name: Check it (your own tasks)
  ansible.builtin.wait_for:
    host: "{{ restored.scratch.address }}"
    port: 22
    timeout: 300

- name: Delete the scratch server again, and see what it cost
  lockaware.hcloud.scratch_server:
    state: absent
    run_id: "{{ drill_run_id }}"
    origin: web1

- name: Before a drill, delete what an earlier, crashed drill left behind
  lockaware.hcloud.scratch_server:
    state: absent
    run_id: "{{ drill_run_id }}"
    leftovers: all
"""

RETURN = r"""
restorable:
  description: Whether the scratch server runs (V(false) when the restore failed; null in check mode).
  returned: with O(state=present)
  type: bool
  sample: true
seconds_to_restore:
  description: Seconds from the create request until the scratch server was running.
  returned: with O(state=present), when restorable
  type: float
  sample: 48.2
origin:
  description: The server restored (C(id), C(name), C(location)).
  returned: with O(state=present)
  type: dict
  sample: {id: 42, name: web1, location: fsn1}
snapshot:
  description: The snapshot restored (C(id), C(description), C(created), C(disk_size), C(image_size), C(architecture), C(labels)).
  returned: with O(state=present), when one was found
  type: dict
price:
  description: The scratch server's type and its prices in the location (C(hourly) and C(monthly), each C(net) and C(gross)), and C(currency).
  returned: with O(state=present), when one was found
  type: dict
  sample: {server_type: cx23, hourly: {net: "0.0048000000", gross: "0.0057120000"}, monthly: {net: "3.4900000000", gross: "4.1531000000"}, currency: EUR}
scratch:
  description:
    - The scratch server (C(id), C(name), C(status), C(address) (its IPv4 address, else its first IPv6 address),
      C(ipv4), C(ipv6), C(server_type), C(location), C(created), C(run_id), C(origin_id), C(snapshot_id), C(expires)).
  returned: with O(state=present), when restorable
  type: dict
  sample: {id: 7, name: drill-web1-42-20261207t230000z-1234, address: 198.18.0.7, server_type: cx23, location: fsn1}
removed:
  description: When the restore failed, the scratch server deleted again (C(deleted), as in RV(deleted)) and C(msg).
  returned: with O(state=present), on failure
  type: dict
deleted:
  description:
    - The scratch servers deleted (as RV(scratch)), each with its C(cost) (C(seconds) it existed, C(hours) billed,
      C(net), C(gross), C(currency); C(net) and C(gross) null when the price is unknown). In check mode, those that
      would be.
  returned: with O(state=absent)
  type: list
  elements: dict
not_deleted:
  description: Why each scratch server that was selected and could not be deleted was not (empty when all were); the task then fails.
  returned: with O(state=absent)
  type: list
  elements: str
  sample: ["deleting scratch server drill-web1-42-run-1: scratch server drill-web1-42-run-1 has delete protection: it is left as it is; ..."]
cost:
  description: The sum of the deleted servers' costs (C(hours), C(net), C(gross), C(currency)).
  returned: with O(state=absent)
  type: dict
  sample: {hours: 2, net: "0.0096", gross: "0.0114", currency: EUR}
"""


from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import ClientConfigError, api_argument_spec
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._drill_task import DrillOptions, DrillTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_servers import ScratchServers
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._module_main import module_main
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption, check_drill_params
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK


def argument_spec():
    """Options of the module: the only place their defaults are written down."""
    return dict(
        api_argument_spec(),
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        origin={"type": "str"},
        run_id={"type": "str"},
        snapshot_labels={"type": "dict", "default": {}},
        expires_in={"type": "str", "default": "3h"},
        ssh_keys={"type": "list", "elements": "str", "default": [], "no_log": False},
        wait_timeout={"type": "int", "default": 3600},
        lock_timeout={"type": "int", "default": 600},
        leftovers={"type": "str", "choices": ["none", "all", "expired"], "default": "none"},
        poll_budget={"type": "float", "default": 0.25},
    )


def argument_rules():
    """How the options combine (keyword arguments of ``AnsibleModule``, also used by the action plugin)."""
    return {"required_if": [("state", "present", ("origin", "run_id"))]}


def drill_options(params):
    """Every check of the options (``_validation.check_drill_params``), before any request; ``InvalidOption`` saying what to fix."""
    checked = check_drill_params(params)
    return DrillOptions(
        run_id=checked["run_id"],
        origin=params["origin"],
        snapshot_labels=checked["snapshot_labels"],
        expires_in=checked["expires_in"],
        ssh_keys=tuple(params["ssh_keys"]),
        wait_timeout=params["wait_timeout"],
        lock_timeout=params["lock_timeout"],
        leftovers=params["leftovers"],
    )


def run(params, check_mode=False, clock=SYSTEM_CLOCK):
    """Check every option, connect, then restore or delete. ``clock`` is what the waits run on (``cancel_on_signals``)."""
    try:
        options = drill_options(params)
        api = HcloudApi.connect(params["api_token"], params["api_endpoint"], params["request_timeout"], clock=clock.shielded())
    except (InvalidOption, ClientConfigError) as exc:
        raise TaskFailed(str(exc)) from exc
    budget = RequestBudget(params["poll_budget"], api.rate_limit, clock)
    task = DrillTask(ScratchServers(api, clock, budget), options, check_mode)
    try:
        return task.restore() if params["state"] == "present" else task.remove()
    except Exception as exc:
        raise TaskFailed.of(exc, f"restoring server {options.origin}" if params["state"] == "present" else "deleting scratch servers") from exc


def main():
    """Build the module, run the task, report."""
    module_main(argument_spec(), run, argument_rules())


if __name__ == "__main__":
    main()
