# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one ``main()`` of the collection's modules: build the module, keep the token out, run cancellably, report."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from collections.abc import Callable

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import HCLOUD_IMPORT_ERROR, MISSING_HCLOUD_MESSAGE
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._token import censored_forms
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._cancel import cancel_on_signals
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock

# A module's work: its parameters, check mode, and the clock whose waits SIGINT, SIGTERM and SIGHUP stop (``_cancel``).
Work = Callable[[dict, bool, Clock], dict]


def module_main(argument_spec: dict, work: Work, argument_rules: dict | None = None) -> None:
    """Run ``work`` as a module: exits with its result, or fails with the one failure path's message."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **(argument_rules or {}))
    if HCLOUD_IMPORT_ERROR:
        module.fail_json(msg=MISSING_HCLOUD_MESSAGE, exception=HCLOUD_IMPORT_ERROR)
    # The token as sent (without whitespace around it) is censored too, not only as given.
    module.no_log_values.update(censored_forms(module.params["api_token"]))
    try:
        with cancel_on_signals() as clock:
            result = work(module.params, module.check_mode, clock)
    except TaskFailed as failed:
        module.fail_json(**failed.result())
    module.exit_json(**result)
