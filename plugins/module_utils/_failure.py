# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way of turning API and action errors into Ansible failures."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

try:
    from hcloud import APIException
    from hcloud.actions import ActionFailedException, ActionTimeoutException
except ImportError:
    APIException = ActionFailedException = ActionTimeoutException = None


def describe_failure(exc):
    """Return ``{code, message, details, correlation_id}`` for an API or action error, else ``None``."""
    if APIException is not None and isinstance(exc, APIException):
        return {"code": exc.code, "message": exc.message, "details": exc.details, "correlation_id": exc.correlation_id}
    if ActionFailedException is not None and isinstance(exc, (ActionFailedException, ActionTimeoutException)):
        error = getattr(exc.action, "error", None) or {}
        return {"code": error.get("code"), "message": error.get("message"), "details": {"action_id": exc.action.id}, "correlation_id": None}
    return None


def failure_message(what, exc):
    """``what`` (the step that failed, e.g. "creating a snapshot of server web1") followed by the API's reason."""
    failure = describe_failure(exc)
    if failure is None:
        return f"{what}: {exc}"
    reason = failure["message"] or "no message"
    code = f" ({failure['code']})" if failure["code"] else ""
    return f"{what}: {reason}{code}"


def fail_json_hcloud(module, what, exc, **result):
    """Fail the module with a message first, then the structured ``failure`` (code, message, details, correlation_id)."""
    failure = describe_failure(exc)
    if failure is not None:
        result["failure"] = failure
    module.fail_json(msg=failure_message(what, exc), **result)
