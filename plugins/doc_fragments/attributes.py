# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes blocks of the collection's modules."""

from __future__ import annotations


class ModuleDocFragment:
    """What every module of the collection supports; each module adds check_mode, diff_mode and idempotent itself."""

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
"""
