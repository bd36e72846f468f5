# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scratch_server module's options: every bad one refused before any request, saying what to fix."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.modules import scratch_server

DEFAULTS = {name: spec.get("default") for name, spec in scratch_server.argument_spec().items()}


def params(**given):
    return dict(DEFAULTS, **dict({"api_token": "unit-test-token", "api_endpoint": "http://127.0.0.1:1/v1"}, **given))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"state": "absent"}, "state=absent needs run_id"),
        ({"origin": "web1", "run_id": "bad id"}, "run_id must be 1 to 40 letters"),
        ({"origin": "web1", "run_id": "r", "expires_in": "soon"}, "expires_in must be a number of seconds or a duration"),
        ({"origin": "web1", "run_id": "r", "snapshot_labels": {"hetzner.cloud/x": "1"}}, "snapshot_labels: invalid key"),
        ({"origin": "web1", "run_id": "r", "wait_timeout": -1}, "wait_timeout must be zero or more"),
        ({"origin": "web1", "run_id": "r", "poll_budget": 2.0}, "poll_budget is the share"),
        ({"origin": " ", "run_id": "r"}, "origin must be the name or ID of a server"),
        ({"origin": "web1", "run_id": "r", "api_endpoint": "http://10.0.0.5/v1"}, "plain http"),
    ],
)
def test_bad_options_fail_before_any_request(given, message):
    # The endpoint answers nothing (port 1): a request would fail differently from the expected message.
    with pytest.raises(TaskFailed, match=message):
        scratch_server.run(params(**given))


def test_the_rules_ansible_applies():
    assert scratch_server.argument_rules() == {"required_if": [("state", "present", ("origin", "run_id"))]}
    assert scratch_server.argument_spec()["api_token"]["no_log"] is True
