# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _failure: one path from any error to the message a user reads first."""

from __future__ import annotations

import pytest
import requests
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import AmbiguousServer, ServerNotFound
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import HINTS, TaskFailed, describe_failure, doing, failure_message
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import ActionFailed, WaitTimedOut


def locked():
    return APIException(code="locked", message="server is locked", details={"fields": []}, correlation_id="abc")


def test_describe_failure_of_api_exception():
    assert describe_failure(locked()) == {"code": "locked", "message": "server is locked", "details": {"fields": []}, "correlation_id": "abc"}


def test_describe_failure_of_api_exception_with_http_status_and_no_correlation_id():
    exc = APIException(code=502, message="Bad Gateway", details=None)
    assert describe_failure(exc) == {"code": 502, "message": "Bad Gateway", "details": None, "correlation_id": None}


def test_describe_failure_of_a_failed_action():
    action = {"id": 77, "command": "create_image", "status": "error", "error": {"code": "image_create_failed", "message": "disk error"}}
    assert describe_failure(ActionFailed(action)) == {
        "code": "image_create_failed",
        "message": "disk error",
        "details": {"action_id": 77},
        "correlation_id": None,
    }


@pytest.mark.parametrize("exc", [ValueError("x"), requests.exceptions.ConnectionError("refused"), KeyError("id"), RuntimeError()])
def test_describe_failure_of_other_exceptions_is_none(exc):
    assert describe_failure(exc) is None


def test_failure_message_of_api_exception():
    assert failure_message(locked(), "creating a snapshot of server web1") == "creating a snapshot of server web1: server is locked (locked)"


def test_failure_message_without_api_message_or_code():
    exc = APIException(code="", message="", details=None)
    assert failure_message(exc, "deleting snapshot 5") == "deleting snapshot 5: no message"


def test_failure_message_with_http_status_code():
    exc = APIException(code=503, message="Service Unavailable", details=None)
    assert failure_message(exc, "listing snapshots") == "listing snapshots: Service Unavailable (503)"


@pytest.mark.parametrize("code", sorted(HINTS))
def test_failure_message_adds_the_hint_of_the_code(code):
    exc = APIException(code=code, message="refused", details=None)
    assert failure_message(exc, "listing snapshots") == f"listing snapshots: refused ({code}) ({HINTS[code]})"


def test_failure_message_of_an_unreachable_api_says_what_to_check():
    message = failure_message(requests.exceptions.ConnectionError("refused"), "listing the servers")
    assert message == "listing the servers: cannot reach the API (ConnectionError: refused): check api_endpoint or HCLOUD_ENDPOINT and the network"


def test_failure_message_of_a_step_failure_starts_with_the_step():
    exc = WaitTimedOut("snapshot 5 was still creating after 10 s")
    assert failure_message(exc, "waiting for snapshot 5") == "waiting for snapshot 5: snapshot 5 was still creating after 10 s"


def test_failure_message_of_other_exception_names_its_type():
    assert failure_message(ValueError("no such thing"), "looking up server web1") == "looking up server web1: ValueError: no such thing"


def test_a_task_failure_is_its_own_message():
    assert failure_message(TaskFailed("keep must be 1 or more"), "ignored") == "keep must be 1 or more"


def test_doing_names_the_innermost_step_and_is_undone_by_itself():
    with pytest.raises(APIException) as raised, doing("outer step"), doing("inner step"):
        raise locked()
    assert failure_message(raised.value) == "inner step: server is locked (locked)"
    with pytest.raises(APIException) as raised, doing("outer step"):
        with doing("inner step"):
            pass
        raise locked()
    assert failure_message(raised.value, "a default") == "outer step: server is locked (locked)"


def test_task_failed_of_an_api_error_has_message_failure_and_trace():
    with pytest.raises(APIException) as raised, doing("creating a snapshot of server web1"):
        raise locked()
    result = TaskFailed.of(raised.value).result()
    assert result["msg"] == "creating a snapshot of server web1: server is locked (locked)"
    assert result["failure"] == describe_failure(locked())
    assert "APIException" in result["exception"]


def test_task_failed_of_a_task_failure_is_the_same_and_has_no_trace():
    original = TaskFailed("server web1 is locked", changed=False)
    assert TaskFailed.of(original) is original
    assert original.result() == {"msg": "server web1 is locked", "changed": False}


def test_server_not_found_and_ambiguous_server_say_what_to_do():
    assert ServerNotFound("ghost").msg == "server ghost not found: check the name or ID (hcloud server list)"
    message = AmbiguousServer("42", {"id": 7, "name": "42"}, {"id": 42, "name": "web1"}).msg
    assert "name of server 7 (42)" in message
    assert "ID of server 42 (web1)" in message
