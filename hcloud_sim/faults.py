"""Fault injection, in one book: request faults (rules on public requests) and action faults.

Action faults make the next ``times`` actions of a command (on one server, if given) end in
error with a given code (``action_failed``, ``locked``...) at their normal end time.

Request faults are rules that make matching requests misbehave.

A rule matches a request by ``method`` (``null`` or ``*`` for any) and ``path_regex``
(``re.search`` on the path including ``/v1``, without the query string). The first matching
rule applies, and is used up after ``times`` requests (default 1; ``null`` or 0 = forever).

Modes:

* ``respond``: answer the error (``status``, ``code``, ``message``) and do nothing;
* ``after_commit``: do the work, then answer the error instead of the real answer;
* ``drop``: do the work, then close the connection without answering;
* ``delay``: wait ``delay_ms`` milliseconds, then handle the request normally.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any

from . import errors

MODES = ("respond", "after_commit", "drop", "delay")
_RULE_KEYS = ("method", "path_regex", "times", "mode", "status", "code", "message", "delay_ms")


@dataclass
class FaultRule:
    """One fault rule."""

    id: int
    method: str | None
    path_regex: str
    times: int | None
    mode: str
    status: int
    code: str
    message: str
    delay_ms: int

    def matches(self, method: str, path: str) -> bool:
        """Whether the rule applies to a request."""
        return (self.method is None or self.method == method.upper()) and re.search(self.path_regex, path) is not None

    def error(self) -> errors.ApiError:
        """The error this rule answers (``respond``/``after_commit``)."""
        return errors.ApiError(self.status, self.code, self.message)

    def to_json(self) -> dict[str, Any]:
        """The rule as the control API lists it (``times`` is what remains)."""
        return {
            "id": self.id,
            "method": self.method,
            "path_regex": self.path_regex,
            "times": self.times,
            "mode": self.mode,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "delay_ms": self.delay_ms,
        }


def parse_rule(value: Any, rule_id: int, where: str) -> FaultRule:
    """Validate one rule of ``POST /_sim/faults``; raises 400 ``invalid_input`` naming the field."""
    if not isinstance(value, dict):
        raise errors.invalid_field(where, "must be an object")
    unknown = sorted(set(value) - set(_RULE_KEYS))
    if unknown:
        raise errors.invalid_field(f"{where}.{unknown[0]}", f"unknown field (allowed: {', '.join(_RULE_KEYS)})")
    mode = value.get("mode", "respond")
    if mode not in MODES:
        raise errors.invalid_field(f"{where}.mode", f"must be one of {', '.join(MODES)}")
    path_regex = value.get("path_regex", "")
    try:
        re.compile(path_regex)
    except (re.error, TypeError) as exc:
        raise errors.invalid_field(f"{where}.path_regex", f"is not a regular expression: {exc}") from None
    method = value.get("method")
    method = None if method in (None, "*", "") else str(method).upper()
    times = value.get("times", 1)
    status = value.get("status", 500)
    delay_ms = value.get("delay_ms", 1000 if mode == "delay" else 0)
    for name, number in (("times", times), ("status", status), ("delay_ms", delay_ms)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 0):
            raise errors.invalid_field(f"{where}.{name}", "must be a whole number of at least 0")
    if status is None or not 400 <= status <= 599:
        raise errors.invalid_field(f"{where}.status", "must be an HTTP error status (400-599)")
    return FaultRule(
        id=rule_id,
        method=method,
        path_regex=path_regex,
        times=None if times in (None, 0) else times,
        mode=mode,
        status=status,
        code=str(value.get("code", "server_error" if status >= 500 else "invalid_input")),
        message=str(value.get("message", f"simulated fault ({mode})")),
        delay_ms=delay_ms or 0,
    )


@dataclass
class ActionFault:
    """Makes the next ``times`` actions of ``command`` (on ``server_id``, if set) end in error; ``times`` None: forever."""

    command: str
    times: int | None
    code: str
    message: str
    server_id: int | None = None

    def matches(self, command: str, server_id: int) -> bool:
        """Whether the fault applies to a new action."""
        return self.command == command and self.server_id in (None, server_id)

    def to_json(self) -> dict[str, Any]:
        """The fault as the control API lists it."""
        return {"command": self.command, "times": self.times, "code": self.code, "message": self.message, "server_id": self.server_id}


def _use(faults: list[Any], fault: Any) -> None:
    if fault.times is not None:
        fault.times -= 1
        if fault.times <= 0:
            faults.remove(fault)


class FaultBook:
    """The active request faults and action faults (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._action_faults: list[ActionFault] = []
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ action faults

    def add_action_fault(self, fault: ActionFault) -> ActionFault:
        """Make future actions of a command end in error."""
        with self._lock:
            self._action_faults.append(fault)
            return ActionFault(**vars(fault))

    def take_action_fault(self, command: str, server_id: int) -> dict[str, str] | None:
        """The error a new action of ``command`` on the server is to end with (counting one use), or None."""
        with self._lock:
            fault = next((item for item in self._action_faults if item.matches(command, server_id)), None)
            if fault is None:
                return None
            _use(self._action_faults, fault)
            return {"code": fault.code, "message": fault.message}

    def action_faults(self) -> list[dict[str, Any]]:
        """The remaining action faults."""
        with self._lock:
            return [fault.to_json() for fault in self._action_faults]

    def clear_action_faults(self) -> None:
        """Forget every action fault."""
        with self._lock:
            self._action_faults.clear()

    # ------------------------------------------------------------------ request faults

    def add(self, values: Any) -> list[FaultRule]:
        """Validate and append rules; all or none are added."""
        if not isinstance(values, list):
            raise errors.invalid_field("rules", "must be a list of rules")
        with self._lock:
            rules = [parse_rule(value, next(self._ids), f"rules[{index}]") for index, value in enumerate(values)]
            self._rules.extend(rules)
            return list(rules)

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first rule matching the request, counting one use of it."""
        with self._lock:
            rule = next((rule for rule in self._rules if rule.matches(method, path)), None)
            if rule is not None:
                _use(self._rules, rule)
            return rule

    def rules(self) -> list[dict[str, Any]]:
        """The remaining rules."""
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def clear_rules(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def clear(self) -> None:
        """Remove every rule and every action fault."""
        with self._lock:
            self._rules.clear()
            self._action_faults.clear()
