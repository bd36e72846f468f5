# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``lockaware.hcloud.rollback`` on the controller, in the worker process: the module's own code, no new interpreter.

The options, their documentation and the code live in ``plugins/modules/rollback.py``; a task delegated to a host
other than the controller runs that module there.
"""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._cancel import cancel_on_signals
from ansible_collections.lockaware.hcloud.plugins.modules import rollback
from ansible_collections.lockaware.hcloud.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    """Restore a server from one of its snapshots (see ``ansible-doc lockaware.hcloud.rollback``)."""

    MODULE = "lockaware.hcloud.rollback"

    def argument_spec(self) -> dict:
        return rollback.argument_spec()

    def argument_rules(self) -> dict:
        return rollback.argument_rules()

    def work(self, params: dict, check_mode: bool) -> dict:
        # A signal stops the waits and sends nothing new (``_cancel``); a rebuild already sent is recognised next run.
        with cancel_on_signals() as clock:
            return rollback.run(params, check_mode, clock)
