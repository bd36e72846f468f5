"""What the public routes share: paging and sorting of lists, label selectors, body checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import params
from ..labels import Selector, parse_selector
from ..pagination import page_params, paginate, sort_items
from ..routing import Request, Response

RESOURCE_SORT_KEYS: dict[str, Callable[[Any], Any]] = {"id": lambda item: item.id, "name": lambda item: item.name, "created": lambda item: item.created}


def page(request: Request, key: str, items: Sequence[Any], sort_keys: dict[str, Callable[[Any], Any]], render: Callable[[Any], Any]) -> Response:
    """One page of a sorted list, with ``meta.pagination``."""
    ordered = sort_items(items, params.many(request.query, "sort"), sort_keys)
    number, per_page = page_params(request.query)
    selected, meta = paginate(ordered, number, per_page)
    return Response(200, {key: [render(item) for item in selected], "meta": meta})


def selector(request: Request) -> Selector | None:
    """The ``label_selector`` query parameter, parsed."""
    text = params.one(request.query, "label_selector")
    return parse_selector(text) if text else None
