"""Checks for query parameters and JSON request bodies; problems answer 400 ``invalid_input``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import errors
from .labels import label_problems

Checker = Callable[[Any], list[str]]


def one(query: dict[str, list[str]], name: str) -> str | None:
    """The (last) value of a query parameter, or None."""
    values = query.get(name)
    return values[-1] if values else None


def many(query: dict[str, list[str]], name: str) -> list[str]:
    """Every value of a repeatable query parameter (``a=1&a=2`` or ``a=1,2``)."""
    return [item for value in query.get(name, []) for item in value.split(",") if item != ""]


def enum_list(query: dict[str, list[str]], name: str, allowed: tuple[str, ...]) -> list[str]:
    """Every value of a repeatable enumeration parameter."""
    values = many(query, name)
    bad = [value for value in values if value not in allowed]
    if bad:
        raise errors.invalid_field(name, f"'{bad[0]}' is not one of {', '.join(allowed)}")
    return values


def int_list(query: dict[str, list[str]], name: str) -> list[int]:
    """Every value of a repeatable integer parameter."""
    values = many(query, name)
    try:
        return [int(value) for value in values]
    except ValueError:
        raise errors.invalid_field(name, "must be a list of integers") from None


def boolean(query: dict[str, list[str]], name: str, default: bool) -> bool:
    """A boolean parameter (``true``/``false``)."""
    value = one(query, name)
    if value is None:
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise errors.invalid_field(name, f"'{value}' is not a boolean (true or false)")


def is_string(value: Any) -> list[str]:
    """Checker: a JSON string."""
    return [] if isinstance(value, str) else ["must be a string"]


def is_boolean(value: Any) -> list[str]:
    """Checker: a JSON boolean."""
    return [] if isinstance(value, bool) else ["must be a boolean"]


def one_of(*allowed: str) -> Checker:
    """Checker: one of the given strings."""

    def check(value: Any) -> list[str]:
        return [] if value in allowed else [f"must be one of {', '.join(allowed)}"]

    return check


def is_labels(value: Any) -> list[str]:
    """Checker: a valid label set (see ``labels``)."""
    return label_problems(value)


def check_body(body: dict[str, Any], checkers: dict[str, Checker], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return ``body`` if every field is known and valid (``null`` counts as absent); else 400 naming every bad field."""
    problems: dict[str, list[str]] = {}
    for name, value in body.items():
        if name not in checkers:
            problems[name] = ["unknown field name"]
        elif value is not None:
            messages = checkers[name](value)
            if messages:
                problems[name] = messages
    for name in required:
        if body.get(name) is None:
            problems[name] = ["is required"]
    if problems:
        raise errors.invalid_input(problems)
    return {name: value for name, value in body.items() if value is not None}
