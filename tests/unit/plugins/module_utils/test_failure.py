# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _failure: one shape for API and action errors."""

from __future__ import annotations

import pytest
import requests
from hcloud import APIException
from hcloud.actions import Action, ActionFailedException, ActionTimeoutException

from ansible_collections.lockaware.hcloud.plugins.module_utils._failure import describe_failure, fail_json_hcloud, failure_message


class FakeModule:
    """Records what ``fail_json`` was called with."""

    def __init__(self):
        self.failed_with = None

    def fail_json(self, **kwargs):
        self.failed_with = kwargs


def locked():
    return APIException(code="locked", message="server is locked", details={"fields": []}, correlation_id="abc")


def test_describe_failure_of_api_exception():
    assert describe_failure(locked()) == {"code": "locked", "message": "server is locked", "details": {"fields": []}, "correlation_id": "abc"}


def test_describe_failure_of_api_exception_with_http_status_and_no_correlation_id():
    exc = APIException(code=502, message="Bad Gateway", details=None)
    assert describe_failure(exc) == {"code": 502, "message": "Bad Gateway", "details": None, "correlation_id": None}


@pytest.mark.parametrize("exc_class", [ActionFailedException, ActionTimeoutException])
def test_describe_failure_of_library_action_exceptions(exc_class):
    action = Action(id=77, command="create_image", status="error", error={"code": "image_create_failed", "message": "disk error"})
    assert describe_failure(exc_class(action)) == {
        "code": "image_create_failed",
        "message": "disk error",
        "details": {"action_id": 77},
        "correlation_id": None,
    }


def test_describe_failure_of_action_exception_without_error():
    action = Action(id=78, command="shutdown", status="running", error=None)
    assert describe_failure(ActionTimeoutException(action)) == {"code": None, "message": None, "details": {"action_id": 78}, "correlation_id": None}


@pytest.mark.parametrize("exc", [ValueError("x"), requests.exceptions.ConnectionError("refused"), KeyError("id"), RuntimeError()])
def test_describe_failure_of_other_exceptions_is_none(exc):
    assert describe_failure(exc) is None


def test_failure_message_of_api_exception():
    assert failure_message("creating a snapshot of server web1", locked()) == "creating a snapshot of server web1: server is locked (locked)"


def test_failure_message_without_api_message_or_code():
    exc = APIException(code="", message="", details=None)
    assert failure_message("deleting snapshot 5", exc) == "deleting snapshot 5: no message"


def test_failure_message_with_http_status_code():
    exc = APIException(code=503, message="Service Unavailable", details=None)
    assert failure_message("listing snapshots", exc) == "listing snapshots: Service Unavailable (503)"


def test_failure_message_of_other_exception_uses_its_text():
    assert failure_message("looking up server web1", ValueError("no such thing")) == "looking up server web1: no such thing"


def test_fail_json_hcloud_puts_message_first_and_failure_structured():
    module = FakeModule()
    fail_json_hcloud(module, "creating a snapshot of server web1", locked(), changed=False)
    assert module.failed_with == {
        "msg": "creating a snapshot of server web1: server is locked (locked)",
        "failure": {"code": "locked", "message": "server is locked", "details": {"fields": []}, "correlation_id": "abc"},
        "changed": False,
    }


def test_fail_json_hcloud_without_failure_for_other_exceptions():
    module = FakeModule()
    fail_json_hcloud(module, "reading", requests.exceptions.ConnectionError("refused"))
    assert module.failed_with == {"msg": "reading: refused"}
