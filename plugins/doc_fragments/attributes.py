# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes blocks of the collection's modules."""

from __future__ import annotations


class ModuleDocFragment:
    """What the modules support."""

    DOCUMENTATION = r"""
attributes:
  action:
    description: Runs on the controller, in the worker process, through an action plugin of the same name; no C(delegate_to) needed.
    support: full
    details: A task explicitly delegated to a host other than the controller runs the module on that host instead.
  action_group:
    description: Use C(group/lockaware.hcloud.all) in C(module_defaults) to set defaults for this module.
    support: full
    membership: [lockaware.hcloud.all]
  check_mode:
    description: Can run in check mode and return the changed status a real run would report, without modifying anything.
    support: full
  diff_mode:
    description: Shows the server's snapshots before and after the task (predicted in check mode); with O(servers), one diff per server.
    support: full
  idempotent:
    description: Running the task again with the same options changes nothing once a matching snapshot exists.
    support: partial
    details: Not idempotent with O(force=true), which creates a new snapshot every run.
"""

    INFO_MODULE = r"""
attributes:
  action:
    description: Runs on the controller, in the worker process, through an action plugin of the same name; no C(delegate_to) needed.
    support: full
    details: A task explicitly delegated to a host other than the controller runs the module on that host instead.
  action_group:
    description: Use C(group/lockaware.hcloud.all) in C(module_defaults) to set defaults for this module.
    support: full
    membership: [lockaware.hcloud.all]
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is nothing to show.
    support: N/A
  idempotent:
    description: Reads only.
    support: full
"""

    # The attributes every module of the collection shares; a module adds check_mode, diff_mode and idempotent itself.
    IN_PROCESS = r"""
attributes:
  action:
    description: Runs on the controller, in the worker process, through an action plugin of the same name; no C(delegate_to) needed.
    support: full
    details: A task explicitly delegated to a host other than the controller runs the module on that host instead.
  action_group:
    description: Use C(group/lockaware.hcloud.all) in C(module_defaults) to set defaults for this module.
    support: full
    membership: [lockaware.hcloud.all]
"""
