# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``lockaware.hcloud.snapshot`` on the controller, in the worker process: the module's own code, no new interpreter.

The options, their documentation and the code live in ``plugins/modules/snapshot.py``; a task delegated to a host
other than the controller runs that module there.
"""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._cancel import cancel_on_signals
from ansible_collections.lockaware.hcloud.plugins.modules import snapshot
from ansible_collections.lockaware.hcloud.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    """Create and delete snapshots (see ``ansible-doc lockaware.hcloud.snapshot``)."""

    MODULE = "lockaware.hcloud.snapshot"

    def argument_spec(self) -> dict:
        return snapshot.argument_spec()

    def argument_rules(self) -> dict:
        return snapshot.argument_rules()

    def work(self, params: dict, check_mode: bool) -> dict:
        # ansible-core ends a worker at once on SIGINT and SIGTERM: the task first puts its servers back (``_cancel``).
        with cancel_on_signals() as clock:
            return snapshot.run(params, check_mode, clock, report=self.progress_line)
