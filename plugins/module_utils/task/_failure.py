# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one failure path: whatever went wrong (a bad option, an API error, an action error, a wait that ran out),
one place turns it into the message a user reads first, with one table of hints on what to do.

Every message, structured failure and trace made here has each rendering of the API token removed (``_token.redact``):
whatever an exception says (a header dump of requests, say), the token does not get through.

The "what was being done" part of a message is set where a call is made, with ``doing(...)``, and is undone by
itself when the block ends; the innermost block names the step.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._token import redact, redacted

try:
    from hcloud import APIException
    from requests.exceptions import RequestException
except ImportError:
    APIException = RequestException = None  # type: ignore[assignment,misc]

Failure = dict  # {code, message, details, correlation_id}

# What to do about an API error, by its code: one table for the modules and the lookup.
HINTS = {
    "unauthorized": "the API token was refused: check api_token or HCLOUD_TOKEN",
    "forbidden": "the token needs read and write permission",
    "token_readonly": "the API token is read-only: a real run needs a read/write token (check mode works with a read-only one); nothing was changed",
    "resource_limit_exceeded": "the project's snapshot quota is reached: delete old snapshots or raise the limit; nothing was deleted",
    "invalid_input": "the API refused the request: check the options, for example label_selector ('backup=daily,env in (prod,staging)')",
}
UNREACHABLE_HINT = "check api_endpoint or HCLOUD_ENDPOINT and the network"


# Text the user gave (a description) is shown in messages up to this many characters.
BRIEF_LIMIT = 80


def brief(text: object, limit: int = BRIEF_LIMIT) -> str:
    """``text`` for a message: whole when short, else its start and its length (a message stays readable)."""
    text = str(text)
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text)} characters)"


class TaskFailed(Exception):
    """A failure whose message is complete, with the structured ``failure``, the trace and the result so far.

    Raised as such for a bad option, a locked server with on_locked=fail, a lock timeout; every other exception
    becomes one through ``TaskFailed.of(exc)``.
    """

    def __init__(self, msg: str, failure: Failure | None = None, trace: str | None = None, **partial: Any) -> None:
        super().__init__(redact(msg))
        self.msg = redact(msg)
        self.failure = redacted(failure)
        self.trace = redact(trace) if trace else trace
        self.partial = partial

    @classmethod
    def of(cls, exc: BaseException, what: str | None = None) -> TaskFailed:
        """``exc`` itself if it is one, else a ``TaskFailed`` saying what was being done and what to do."""
        if isinstance(exc, TaskFailed):
            return exc
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(failure_message(exc, what), describe_failure(exc), trace)

    def result(self) -> dict:
        """Keyword arguments for ``fail_json``."""
        result = dict(self.partial, msg=self.msg)
        if self.failure:
            result["failure"] = self.failure
        if self.trace:
            result["exception"] = self.trace
        return redacted(result)


class StepFailed(Exception):
    """What went wrong in a step (an action failed, a wait ran out); the message starts with the step."""

    failure: Failure | None = None


@contextmanager
def doing(what: str) -> Iterator[None]:
    """Name the step for an exception raised inside the block (the innermost name wins)."""
    try:
        yield
    except Exception as exc:
        if getattr(exc, "doing", None) is None:
            exc.doing = what  # type: ignore[attr-defined]
        raise


def describe_failure(exc: BaseException) -> Failure | None:
    """``{code, message, details, correlation_id}`` of an API error or a failed action, else ``None``."""
    if APIException is not None and isinstance(exc, APIException):
        return {"code": exc.code, "message": exc.message, "details": exc.details, "correlation_id": exc.correlation_id}
    return getattr(exc, "failure", None)


def failure_message(exc: BaseException, what: str | None = None) -> str:
    """The message a user reads first: what was being done, what went wrong, what to do; never the token."""
    return redact(unredacted_message(exc, what))


def unredacted_message(exc: BaseException, what: str | None) -> str:
    """``failure_message`` before the token's renderings are removed."""
    if isinstance(exc, TaskFailed):
        return exc.msg
    what = getattr(exc, "doing", None) or what or "talking to the API"
    if isinstance(exc, StepFailed):
        return f"{what}: {exc}"
    if APIException is not None and isinstance(exc, APIException):
        code = f" ({exc.code})" if exc.code else ""
        hint = HINTS.get(str(exc.code))
        return f"{what}: {exc.message or 'no message'}{code}" + (f" ({hint})" if hint else "")
    if RequestException is not None and isinstance(exc, RequestException):
        return f"{what}: cannot reach the API ({type(exc).__name__}: {exc}): {UNREACHABLE_HINT}"
    return f"{what}: {type(exc).__name__}: {exc}"
