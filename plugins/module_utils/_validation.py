# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of user input that the argument spec cannot express; each error says what was wrong and what to do."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import math
import re
from typing import Any

_LABEL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s?)?\s*$")
RESERVED_PREFIXES = ("hetzner.cloud/", "lockaware.hcloud/")
# Ten years: longer than any snapshot can be old, and small enough for date arithmetic (``timedelta`` overflows).
MAX_DURATION_DAYS = 3650


class InvalidOption(ValueError):
    """A user-supplied option is invalid; the message names it and says how to fix it."""


def parse_duration(value: Any, option: str) -> float:
    """Seconds from an int/float or a text such as ``90``, ``30m``, ``23h``, ``1d12h``, ``1h30m``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match or not any(match.groups()):
            raise InvalidOption(f"{option} must be a number of seconds or a duration such as '30m', '23h' or '1d12h', got {value!r}")
        days, hours, minutes, secs = (int(part or 0) for part in match.groups())
        total = ((days * 24 + hours) * 60 + minutes) * 60 + secs
        seconds = float(total) if total <= MAX_DURATION_DAYS * 86400 else float("inf")  # float() of a huge int overflows
    if math.isnan(seconds) or seconds > MAX_DURATION_DAYS * 86400:
        raise InvalidOption(f"{option} must be at most {MAX_DURATION_DAYS} days ({MAX_DURATION_DAYS}d, ten years), got {value!r}")
    if seconds <= 0:
        raise InvalidOption(f"{option} must be greater than zero, got {value!r}")
    return seconds


def check_server(value: Any, option: str = "server") -> str:
    """A server's name or ID as given (``server``, an element of ``servers``): not empty."""
    if value is None or not str(value).strip():
        raise InvalidOption(f"{option} must be the name or ID of a server, got {value!r}")
    return str(value)


def check_description(value: Any) -> None:
    """``description``, when set, is not empty (the same rule for every module of the collection)."""
    if value is not None and not str(value).strip():
        raise InvalidOption(
            "description must not be empty: leave it out for the default <server>-<date> (snapshot) or to select every description (snapshot_info)"
        )


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid Hetzner Cloud label key, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "a '/' must follow a prefix (a DNS subdomain such as example.com/)"
    if not _LABEL_NAME.match(name):
        return "the name part must be 1 to 63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    if prefix and (len(prefix) > 253 or not all(_DNS_LABEL.match(part) for part in prefix.split("."))):
        return "the prefix before '/' must be a DNS subdomain (lower case, at most 253 characters)"
    if key.startswith(RESERVED_PREFIXES):
        return f"keys starting with {' or '.join(RESERVED_PREFIXES)} are reserved"
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or None."""
    if value == "" or _LABEL_NAME.match(value):
        return None
    return "values must be empty or 1 to 63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit"


def check_labels(labels: dict | None, option: str = "labels") -> dict[str, str]:
    """Labels as strings, or ``InvalidOption`` naming the first bad key or value."""
    checked = {}
    for raw_key, raw_value in (labels or {}).items():
        key, value = str(raw_key), "" if raw_value is None else str(raw_value)
        problem = label_key_problem(key)
        if problem:
            raise InvalidOption(f"{option}: invalid key {key!r}: {problem}")
        problem = label_value_problem(value)
        if problem:
            raise InvalidOption(f"{option}: invalid value {value!r} for key {key!r}: {problem}")
        checked[key] = value
    return checked


def check_non_negative(params: dict, names: tuple[str, ...]) -> None:
    """Each named option, when set, is zero or more."""
    for name in names:
        value = params.get(name)
        if value is not None and value < 0:
            raise InvalidOption(f"{name} must be zero or more seconds, got {value}")
