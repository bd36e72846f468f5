"""Sorting and pagination of list endpoints, and the ``meta.pagination`` object.

``page`` starts at 1; ``per_page`` defaults to 25 and is capped at 50 (a larger value is
clamped to 50, see README "Assumptions"). ``sort`` is repeatable, each value ``field``,
``field:asc`` or ``field:desc``; the first one is the primary order, ties keep id order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from . import errors

T = TypeVar("T")

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 50


def parse_int(values: list[str], name: str, default: int) -> int:
    """The single integer value of a query parameter, or ``default`` when absent."""
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        raise errors.invalid_field(name, f"'{values[-1]}' is not an integer") from None


def page_params(query: dict[str, list[str]]) -> tuple[int, int]:
    """Read ``page`` and ``per_page`` from a parsed query string."""
    page = parse_int(query.get("page", []), "page", 1)
    per_page = parse_int(query.get("per_page", []), "per_page", DEFAULT_PER_PAGE)
    if page < 1:
        raise errors.invalid_field("page", "must be greater than or equal to 1")
    if per_page < 1:
        raise errors.invalid_field("per_page", "must be greater than or equal to 1")
    return page, min(per_page, MAX_PER_PAGE)


def paginate(items: Sequence[T], page: int, per_page: int) -> tuple[list[T], dict[str, Any]]:
    """One page of ``items`` and the ``meta`` object describing it."""
    total = len(items)
    last_page = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    pagination = {
        "page": page,
        "per_page": per_page,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < last_page else None,
        "last_page": last_page,
        "total_entries": total,
    }
    return list(items[start : start + per_page]), {"pagination": pagination}


def sort_items(items: Sequence[T], sort_values: list[str], keys: dict[str, Callable[[T], Any]]) -> list[T]:
    """Sort ``items`` (already in id order) by the ``sort`` query values, using ``keys[field]`` per field."""
    result = list(items)
    orders = [_parse_sort(value, keys) for value in sort_values]
    for field, descending in reversed(orders):
        result.sort(key=_nones_first(keys[field]), reverse=descending)
    return result


def _parse_sort(value: str, keys: dict[str, Callable[[Any], Any]]) -> tuple[str, bool]:
    field, _colon, direction = value.partition(":")
    if field not in keys or direction not in ("", "asc", "desc"):
        allowed = ", ".join(sorted(keys))
        raise errors.invalid_field("sort", f"'{value}' is not a valid sort value (fields: {allowed}; directions: asc, desc)")
    return field, direction == "desc"


def _nones_first(key: Callable[[T], Any]) -> Callable[[T], tuple[bool, Any]]:
    """``key`` as a sort key under which ``None`` comes before every value."""
    return lambda item: _none_first(key(item))


def _none_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)
