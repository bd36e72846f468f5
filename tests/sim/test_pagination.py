"""Unit tests of pagination and sorting."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hcloud_sim.errors import ApiError
from hcloud_sim.pagination import page_params, paginate, sort_items


def test_defaults_and_clamping() -> None:
    assert page_params({}) == (1, 25)
    assert page_params({"page": ["3"], "per_page": ["10"]}) == (3, 10)
    assert page_params({"per_page": ["500"]}) == (1, 50)


@pytest.mark.parametrize("query", [{"page": ["0"]}, {"page": ["x"]}, {"per_page": ["0"]}, {"per_page": ["-1"]}, {"per_page": ["1.5"]}])
def test_bad_paging_is_invalid_input(query: dict[str, list[str]]) -> None:
    with pytest.raises(ApiError) as caught:
        page_params(query)
    assert caught.value.code == "invalid_input"
    assert caught.value.details["fields"][0]["name"] in query


def test_meta_pagination() -> None:
    items = list(range(1, 121))
    first, meta = paginate(items, 1, 50)
    assert first == items[:50]
    assert meta == {"pagination": {"page": 1, "per_page": 50, "previous_page": None, "next_page": 2, "last_page": 3, "total_entries": 120}}
    last, meta = paginate(items, 3, 50)
    assert last == items[100:]
    assert meta["pagination"]["previous_page"] == 2
    assert meta["pagination"]["next_page"] is None
    beyond, meta = paginate(items, 9, 50)
    assert beyond == []
    assert meta["pagination"]["last_page"] == 3


def test_empty_list_has_one_page() -> None:
    items, meta = paginate([], 1, 25)
    assert items == []
    assert meta["pagination"]["last_page"] == 1
    assert meta["pagination"]["total_entries"] == 0


@dataclass
class Item:
    id: int
    name: str
    finished: int | None


ITEMS = [Item(1, "b", 5), Item(2, "a", None), Item(3, "c", 1), Item(4, "a", 2)]
KEYS = {"id": lambda item: item.id, "name": lambda item: item.name, "finished": lambda item: item.finished}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ([], [1, 2, 3, 4]),
        (["id"], [1, 2, 3, 4]),
        (["id:desc"], [4, 3, 2, 1]),
        (["name"], [2, 4, 1, 3]),
        (["name:asc", "id:desc"], [4, 2, 1, 3]),
        (["name:desc"], [3, 1, 2, 4]),
        (["finished"], [2, 3, 4, 1]),
        (["finished:desc"], [1, 4, 3, 2]),
    ],
)
def test_sorting(sort: list[str], expected: list[int]) -> None:
    assert [item.id for item in sort_items(ITEMS, sort, KEYS)] == expected


@pytest.mark.parametrize("sort", ["size", "id:up", "name:asc:desc", ""])
def test_bad_sort_is_invalid_input(sort: str) -> None:
    with pytest.raises(ApiError) as caught:
        sort_items(ITEMS, [sort], KEYS)
    assert caught.value.details["fields"][0]["name"] == "sort"
