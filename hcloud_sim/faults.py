"""Fault injection for the public API: rules that make matching requests misbehave.

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


class FaultBook:
    """The active fault rules (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

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
            if rule is not None and rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
            return rule

    def rules(self) -> list[dict[str, Any]]:
        """The remaining rules."""
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
