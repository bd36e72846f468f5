# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's ``main()`` without a process: a stand-in ``AnsibleModule`` and the API on a fake project."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import build_client
from ansible_collections.lockaware.hcloud.plugins.module_utils.task import _module_main
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock, FakeRateLimit, FakeTransport


class ModuleExit(Exception):
    """``exit_json`` or ``fail_json`` was called; ``result`` holds its arguments."""

    def __init__(self, failed, result):
        super().__init__("failed" if failed else "exited")
        self.failed = failed
        self.result = result


def module_class(args, check_mode=False):
    """An ``AnsibleModule`` stand-in: the spec's defaults under the given arguments, as the real one hands them over."""

    class Module:
        built_with: dict = {}  # noqa: RUF012  what the module was built with, for the test to read

        def __init__(self, argument_spec, **kwargs):
            Module.built_with = dict(kwargs, argument_spec=argument_spec)
            unknown = set(args) - set(argument_spec)
            assert not unknown, f"unknown options {unknown}"
            self.params = {name: args.get(name, spec.get("default")) for name, spec in argument_spec.items()}
            self.check_mode = check_mode
            self.no_log_values = {self.params["api_token"]} if self.params.get("api_token") else set()

        def exit_json(self, **result):
            raise ModuleExit(False, result)

        def fail_json(self, **result):
            raise ModuleExit(True, result)

    return Module


def run_main(monkeypatch, module, fake, args, check_mode=False):
    """Run ``module.main()`` with ``args`` against the fake project; returns ``(failed, result, transports)``."""
    transports = []

    def connect(cls, api_token, api_endpoint, request_timeout, **kwargs):  # pylint: disable=unused-argument
        build_client(api_token, api_endpoint, request_timeout)  # the real checks of the options, without a request
        transports.append(FakeTransport(fake))
        return HcloudApi(transports[-1], FakeRateLimit(), clock=FakeClock())

    monkeypatch.setattr(_module_main, "AnsibleModule", module_class(args, check_mode))
    monkeypatch.setattr(HcloudApi, "connect", classmethod(connect))
    with pytest.raises(ModuleExit) as exited:
        module.main()
    return exited.value.failed, exited.value.result, transports
