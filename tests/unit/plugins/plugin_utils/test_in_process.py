# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins' in-process path: validation as AnsibleModule does it, the failure shape, the censoring."""

from __future__ import annotations

import os

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.modules import snapshot
from ansible_collections.lockaware.hcloud.plugins.plugin_utils.in_process import environment, run_module_code, runs_on_controller, whose_progress

TOKEN = "secret-token-0123456789"
CENSORED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # a value that is the token
MASKED = "********"  # the token inside a longer string


def run(args, work):
    return run_module_code("lockaware.hcloud.snapshot", snapshot.argument_spec(), snapshot.argument_rules(), args, work)


def never(params):
    raise AssertionError("work must not run when the options are invalid")


@pytest.mark.parametrize(
    ("delegate_to", "transport", "here"),
    [
        (None, "ssh", True),
        (None, "community.docker.docker", True),
        ("localhost", "local", True),
        ("controller", "ansible.builtin.local", True),
        ("bastion", "ssh", False),
        ("bastion", None, False),
    ],
)
def test_runs_on_the_controller_unless_delegated_to_a_host_with_another_connection(delegate_to, transport, here):
    assert runs_on_controller(delegate_to, transport) is here


def test_the_params_carry_the_spec_defaults():
    seen = {}

    def work(params):
        seen.update(params)
        return {"changed": False}

    run({"server": "web1", "api_token": TOKEN}, work)
    assert seen["concurrency"] == 256
    assert seen["on_locked"] == "wait"
    assert seen["labels"] == {}


def test_the_rules_of_the_module_fail_before_any_work():
    result = run({"server": "web1", "servers": ["web1"], "api_token": TOKEN}, never)
    assert result == {"failed": True, "msg": "parameters are mutually exclusive: server|servers"}


def test_an_unknown_option_fails_with_the_modules_message():
    result = run({"server": "web1", "colour": "blue", "api_token": TOKEN}, never)
    assert result["failed"] is True
    assert result["msg"].startswith("Unsupported parameters for (lockaware.hcloud.snapshot) module: colour. Supported parameters include: ")


def test_a_bad_type_fails_and_the_token_is_not_in_the_message():
    result = run({"server": "web1", "keep": TOKEN, "api_token": TOKEN}, never)
    assert result["failed"] is True
    assert "keep" in result["msg"]
    assert TOKEN not in repr(result)


def test_a_missing_token_fails_as_the_module_does(monkeypatch):
    monkeypatch.delenv("HCLOUD_TOKEN", raising=False)
    result = run({"server": "web1"}, never)
    assert result == {"failed": True, "msg": "missing required arguments: api_token"}


def test_the_token_is_censored_in_the_result_and_the_invocation():
    result = run({"server": "web1", "api_token": TOKEN}, lambda params: {"changed": True, "msg": f"used {params['api_token']}", "warnings": [TOKEN]})
    assert TOKEN not in repr(result)
    assert result["msg"] == f"used {MASKED}"
    assert result["warnings"] == [CENSORED]
    assert result["invocation"]["module_args"]["api_token"] == CENSORED
    assert result["invocation"]["module_args"]["server"] == "web1"


def test_the_token_as_sent_is_censored_too_not_only_the_value_given():
    """Given with a trailing newline (a vault made with echo), it is sent without: that form is censored as well."""

    def echo(params):
        sent = params["api_token"].strip()
        return {"changed": False, "msg": f"sent {sent}", "urls": [f"/x?t={sent}"], "sent": sent}

    result = run({"server": "web1", "api_token": f"{TOKEN}\n"}, echo)
    assert TOKEN not in repr(result)
    assert result["msg"] == f"sent {MASKED}"


def test_a_failure_has_the_modules_shape_and_no_token():
    failure = {"code": "unauthorized", "message": "unable to authenticate", "details": {}, "correlation_id": "c1"}

    def work(params):
        raise TaskFailed(f"server web1: refused {params['api_token']}", failure=failure, trace=f"Traceback: {params['api_token']}", changed=False)

    result = run({"server": "web1", "api_token": TOKEN}, work)
    assert result["failed"] is True
    assert result["msg"] == f"server web1: refused {MASKED}"
    assert result["failure"] == failure
    assert result["exception"] == f"Traceback: {MASKED}"
    assert TOKEN not in repr(result)


def test_the_task_environment_feeds_the_fallbacks_and_is_undone(monkeypatch):
    monkeypatch.delenv("HCLOUD_TOKEN", raising=False)
    monkeypatch.setenv("HCLOUD_ENDPOINT", "http://127.0.0.1:1/v1")
    seen = {}

    def work(params):
        seen.update(params)
        return {"changed": False}

    with environment({"HCLOUD_TOKEN": TOKEN, "HCLOUD_ENDPOINT": "http://127.0.0.1:2/v1"}):
        result = run({"server": "web1"}, work)
    assert seen["api_token"] == TOKEN
    assert seen["api_endpoint"] == "http://127.0.0.1:2/v1"
    assert TOKEN not in repr(result)
    assert "HCLOUD_TOKEN" not in os.environ
    assert os.environ["HCLOUD_ENDPOINT"] == "http://127.0.0.1:1/v1"


@pytest.mark.parametrize(
    ("host", "run_once", "prefix"),
    [("project_prod", False, " [project_prod]"), ("localhost", False, ""), (None, False, ""), ("web1", True, "")],
)
def test_a_progress_line_names_its_host_when_each_host_runs_the_task_for_itself(host, run_once, prefix):
    assert whose_progress(host, run_once) == prefix
