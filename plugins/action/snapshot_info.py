# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``lockaware.hcloud.snapshot_info`` on the controller, in the worker process: the module's own code, no new interpreter.

The options, their documentation and the code live in ``plugins/modules/snapshot_info.py``; a task delegated to a
host other than the controller runs that module there.
"""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.modules import snapshot_info
from ansible_collections.lockaware.hcloud.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    """List snapshots (see ``ansible-doc lockaware.hcloud.snapshot_info``)."""

    MODULE = "lockaware.hcloud.snapshot_info"

    def argument_spec(self) -> dict:
        return snapshot_info.argument_spec()

    def work(self, params: dict, check_mode: bool) -> dict:
        return dict(snapshot_info.run(params), changed=False)
