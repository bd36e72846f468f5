# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of the collection's modules inside the worker process on the controller, as ``AnsibleModule`` would.

A module's work is a few HTTPS requests from the controller; running it as a module costs a new interpreter, the
AnsiballZ payload and the ``hcloud`` import for every host. The action plugins of the same names call the module's
own ``run()`` here instead, with the module's own argument spec (validated as ``AnsibleModule`` validates it), the
task's check mode, and every ``no_log`` value censored from the result. A task explicitly delegated to another
host than the controller (a bastion) still runs the module there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import HCLOUD_IMPORT_ERROR, MISSING_HCLOUD_MESSAGE
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._token import censored_forms
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed

LOCAL_TRANSPORTS = frozenset(("local", "ansible.builtin.local", "ansible.legacy.local"))


def runs_on_controller(delegate_to: str | None, transport: str | None) -> bool:
    """In this process, unless the task is delegated to a host reached through another connection than ``local``."""
    return not delegate_to or transport in LOCAL_TRANSPORTS


@contextmanager
def environment(variables: Mapping[str, Any]) -> Iterator[None]:
    """``os.environ`` with the task's ``environment:`` on top, for the options' fallbacks (``HCLOUD_TOKEN``)."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update({name: str(value) for name, value in variables.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def validation_failure(module: str, errors: Any) -> str | None:
    """The message ``AnsibleModule`` fails with for these validation errors, or ``None``."""
    try:
        first = errors[0]
    except IndexError:
        return None
    if isinstance(first, UnsupportedError):
        return f"Unsupported parameters for ({module}) module: {errors.msg}"
    return errors.msg


def run_module_code(
    module: str,
    argument_spec: dict,
    argument_rules: dict,
    args: Mapping[str, Any],
    work: Callable[[dict], dict],
) -> dict:
    """Validate ``args`` as ``AnsibleModule`` does, run ``work(params)``, return its result censored of ``no_log`` values.

    ``work`` raises ``TaskFailed`` to fail; the failure has the module's shape (``msg`` first, ``failure``).
    """
    validation = ArgumentSpecValidator(argument_spec, **argument_rules).validate(dict(args))
    # pylint: disable-next=protected-access
    secrets = set(validation._no_log_values)
    # The token is sent without the whitespace around it: that form is censored too, not only the one given.
    secrets.update(form for secret in list(secrets) for form in censored_forms(secret))
    params = validation.validated_parameters
    message = validation_failure(module, validation.errors)
    if message:
        return remove_values({"failed": True, "msg": message}, secrets)
    if HCLOUD_IMPORT_ERROR:
        return {"failed": True, "msg": MISSING_HCLOUD_MESSAGE, "exception": HCLOUD_IMPORT_ERROR}
    try:
        result = work(params)
    except TaskFailed as failed:
        result = dict(failed.result(), failed=True)
    result["invocation"] = {"module_args": params}
    return remove_values(result, secrets)


def whose_progress(host: str | None, run_once: bool) -> str:
    """What a progress line says of whose task it is: `` [project_prod]`` when each of several hosts runs the task for
    itself (``snapshot_fleet.yml`` with ``projects``); nothing on localhost or for a ``run_once`` task (a batch's)."""
    return "" if not host or host == "localhost" or run_once else f" [{host}]"


class InProcessAction(ActionBase):
    """The action plugin of a module of the collection: its code in this process, or the module on a delegated host."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    MODULE = ""  # the module's FQCN
    _whose_progress = ""  # whose_progress() of the task being run

    def argument_spec(self) -> dict:
        """The module's own argument spec."""
        raise NotImplementedError

    def argument_rules(self) -> dict:
        """The module's ``required_one_of``, ``mutually_exclusive``... (keyword arguments of ``AnsibleModule``)."""
        return {}

    def work(self, params: dict, check_mode: bool) -> dict:
        """The module's result for validated ``params``; raises ``TaskFailed``."""
        raise NotImplementedError

    def progress_line(self, line: str) -> None:
        """Show a line on the task's progress at default verbosity (from a worker, Ansible forwards it to the main
        process, which prints it between the task's header and its result)."""
        Display().display(f"{self.MODULE}{self._whose_progress}: {line}")

    def run(self, tmp: str | None = None, task_vars: dict | None = None) -> dict:
        self._whose_progress = whose_progress((task_vars or {}).get("inventory_hostname"), bool(self._task.run_once))
        result = super().run(tmp, task_vars)
        del tmp
        if not runs_on_controller(self._task.delegate_to, getattr(self._connection, "transport", None)):
            result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
            return result
        task_environment: dict[str, Any] = {}
        self._compute_environment_string(task_environment)
        check_mode = bool(self._task.check_mode)
        with environment(task_environment):
            result.update(
                run_module_code(self.MODULE, self.argument_spec(), self.argument_rules(), self._task.args, lambda params: self.work(params, check_mode))
            )
        return result
