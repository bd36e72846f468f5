"""Labels: validation of label sets and parsing/evaluation of label selectors.

Rules from the Hetzner Cloud API documentation ("Labels", "Label Selector"):

* a key is an optional prefix (a DNS subdomain of at most 253 characters) followed by ``/``,
  then a name of 1 to 63 characters that begins and ends with ``[a-z0-9A-Z]`` and has
  ``-``, ``_``, ``.`` or alphanumerics in between; the prefix ``hetzner.cloud/`` is reserved;
* a value is empty, or 1 to 63 characters with the same rule as a key's name;
* a selector is a comma-separated list of requirements, all of which must hold:
  ``k=v``, ``k==v``, ``k!=v``, ``k`` (present), ``!k`` (absent), ``k in (a,b)``, ``k notin (a,b)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import errors

_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_RESERVED_PREFIXES = ("hetzner.cloud",)


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label key, or None when it is."""
    prefix, slash, name = key.rpartition("/")
    if slash and not _valid_prefix(prefix):
        return f"label key '{key}' has an invalid prefix"
    if slash and prefix in _RESERVED_PREFIXES:
        return f"label key '{key}' uses the reserved prefix '{prefix}/'"
    if not _NAME.match(name):
        return f"label key '{key}' is invalid"
    return None


def value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or None when it is."""
    if value == "" or _NAME.match(value):
        return None
    return f"label value '{value}' is invalid"


def _valid_prefix(prefix: str) -> bool:
    if not prefix or len(prefix) > 253:
        return False
    return all(_DNS_LABEL.match(part) for part in prefix.split("."))


def label_problems(labels: Any) -> list[str]:
    """Every reason why ``labels`` is not a valid label set (empty when it is)."""
    if not isinstance(labels, dict):
        return ["must be an object of string keys and string values"]
    problems = []
    for key, value in labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            problems.append(f"label value of '{key}' must be a string")
            continue
        problems.extend(problem for problem in (key_problem(key), value_problem(value)) if problem)
    return problems


def validate_labels(labels: Any, field: str = "labels") -> dict[str, str]:
    """Return ``labels`` if it is a valid label set, else raise 400 ``invalid_input`` naming ``field``."""
    problems = label_problems(labels)
    if problems:
        raise errors.invalid_input({field: problems})
    return dict(labels)


@dataclass(frozen=True)
class Requirement:
    """One requirement of a selector: ``op`` is one of ``=``, ``!=``, ``exists``, ``!exists``, ``in``, ``notin``."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a label set satisfies this requirement."""
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        return not present or value not in self.values


@dataclass(frozen=True)
class Selector:
    """A parsed label selector: all requirements must hold."""

    requirements: tuple[Requirement, ...]

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a label set satisfies the selector."""
        return all(requirement.matches(labels) for requirement in self.requirements)


_SET_REQUIREMENT = re.compile(r"^(?P<key>[^\s=!(),]+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQUALITY_REQUIREMENT = re.compile(r"^(?P<key>[^\s=!(),]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s=!(),]*)$")
_EXISTS_REQUIREMENT = re.compile(r"^(?P<neg>!?)\s*(?P<key>[^\s=!(),]+)$")


def parse_selector(text: str, field: str = "label_selector") -> Selector:
    """Parse a label selector; a malformed one raises 400 ``invalid_input`` naming ``field``."""
    requirements = []
    for part in _split_requirements(text, field):
        requirement = _parse_requirement(part.strip(), field)
        problem = key_problem(requirement.key) or next((value_problem(v) for v in requirement.values if value_problem(v)), None)
        if problem:
            raise errors.invalid_field(field, f"invalid label selector '{text}': {problem}")
        requirements.append(requirement)
    return Selector(tuple(requirements))


def _split_requirements(text: str, field: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if depth not in (0, 1):
            raise errors.invalid_field(field, f"invalid label selector '{text}': unbalanced parentheses")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise errors.invalid_field(field, f"invalid label selector '{text}': unbalanced parentheses")
    parts.append("".join(current))
    if text.strip() and any(not part.strip() for part in parts):
        raise errors.invalid_field(field, f"invalid label selector '{text}': empty requirement")
    return [part for part in parts if part.strip()]


def _parse_requirement(part: str, field: str) -> Requirement:
    match = _SET_REQUIREMENT.match(part)
    if match:
        values = tuple(value.strip() for value in match["values"].split(","))
        if any(value == "" for value in values):
            raise errors.invalid_field(field, f"invalid label selector requirement '{part}': empty value in set")
        return Requirement(match["key"], match["op"], values)
    match = _EQUALITY_REQUIREMENT.match(part)
    if match:
        op = "!=" if match["op"] == "!=" else "="
        return Requirement(match["key"], op, (match["value"],))
    match = _EXISTS_REQUIREMENT.match(part)
    if match:
        return Requirement(match["key"], "!exists" if match["neg"] else "exists")
    raise errors.invalid_field(field, f"invalid label selector requirement '{part}'")
