"""Unit tests of label validation and label selectors."""

from __future__ import annotations

import pytest

from hcloud_sim.errors import ApiError
from hcloud_sim.labels import key_problem, parse_selector, validate_labels, value_problem

LABELS = {"env": "prod", "role": "web", "lockaware.hcloud/managed": "true", "empty": ""}


@pytest.mark.parametrize(
    "key",
    ["env", "a", "A1", "my.key_name-1", "example.com/key", "lockaware.hcloud/managed", "a-b.c/x", "x" * 63, ("p" * 63 + ".") * 3 + "p" * 61 + "/k"],
)
def test_valid_keys(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize(
    "key",
    [
        "",
        "-env",
        "env-",
        ".env",
        "x" * 64,
        "bad key",
        "k@y",
        "/name",
        "Example.com/key",
        "ex..com/key",
        "-ex.com/key",
        "hetzner.cloud/x",
        "a/b/c",
        "p" * 254 + "/k",
    ],
)
def test_invalid_keys(key: str) -> None:
    assert key_problem(key) is not None


@pytest.mark.parametrize("value", ["", "prod", "a", "v1.2_3-x", "x" * 63])
def test_valid_values(value: str) -> None:
    assert value_problem(value) is None


@pytest.mark.parametrize("value", ["-prod", "prod-", "x" * 64, "with space", "a/b", "ü"])
def test_invalid_values(value: str) -> None:
    assert value_problem(value) is not None


def test_validate_labels_names_the_field() -> None:
    with pytest.raises(ApiError) as caught:
        validate_labels({"ok": "fine", "bad key": "v", "k": "-v"}, field="labels")
    error = caught.value
    assert (error.status, error.code) == (400, "invalid_input")
    assert error.details is not None
    [field] = error.details["fields"]
    assert field["name"] == "labels"
    assert len(field["messages"]) == 2


def test_validate_labels_rejects_non_strings() -> None:
    with pytest.raises(ApiError):
        validate_labels({"k": 1})
    with pytest.raises(ApiError):
        validate_labels(["k"])
    assert validate_labels({"k": ""}) == {"k": ""}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("env=prod", True),
        ("env==prod", True),
        ("env = prod", True),
        ("env!=prod", False),
        ("env!=dev", True),
        ("missing!=x", True),
        ("env", True),
        ("missing", False),
        ("!missing", True),
        ("!env", False),
        ("env in (prod,staging)", True),
        ("env in (dev, staging)", False),
        ("env notin (dev,staging)", True),
        ("env notin (prod)", False),
        ("missing notin (a)", True),
        ("missing in (a)", False),
        ("env=prod,role=web", True),
        ("env=prod,role=db", False),
        ("env=prod, role in (web,db), !legacy, lockaware.hcloud/managed=true", True),
        ("empty=", True),
        ("empty", True),
        ("", True),
    ],
)
def test_selector_matching(selector: str, expected: bool) -> None:
    assert parse_selector(selector).matches(LABELS) is expected


@pytest.mark.parametrize(
    "selector",
    ["env=prod=x", "env in prod", "env in (a,b", "env in (a,,b)", "env notin ()", "=prod", "!", "env=prod,", ",env", "bad key=x", "env=-x", "a)(b", "env>3"],
)
def test_malformed_selectors_are_invalid_input(selector: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_selector(selector)
    assert caught.value.code == "invalid_input"
    assert caught.value.details is not None
    assert caught.value.details["fields"][0]["name"] == "label_selector"
