# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _validation: durations, labels and non-negative options."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import (
    InvalidOption,
    check_labels,
    check_non_negative,
    label_key_problem,
    label_value_problem,
    parse_duration,
)

# parse_duration -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30m", 1800.0),
        ("23h", 82800.0),
        ("1d12h", 129600.0),
        ("1h30m", 5400.0),
        ("1d", 86400.0),
        ("2d3h4m5s", 2 * 86400.0 + 3 * 3600 + 4 * 60 + 5),
        ("45s", 45.0),
        ("90", 90.0),
        (" 1h 30m ", 5400.0),
        (90, 90.0),
        (1.5, 1.5),
    ],
)
def test_parse_duration_valid(value, seconds):
    result = parse_duration(value, "max_age")
    assert result == seconds
    assert isinstance(result, float)


@pytest.mark.parametrize("value", [0, -1, -0.5, "0", "0m", "0d0h0m"])
def test_parse_duration_rejects_zero_and_negative_naming_the_option(value):
    with pytest.raises(InvalidOption, match=r"^max_age must be greater than zero"):
        parse_duration(value, "max_age")


@pytest.mark.parametrize("value", ["", " ", "abc", "30x", "1.5h", "h", "-5", "-5m", "m30", "30m1h", "1 day", None, True, False, "1H"])
def test_parse_duration_rejects_garbage_naming_the_option_and_value(value):
    with pytest.raises(InvalidOption) as raised:
        parse_duration(value, "max_age")
    message = str(raised.value)
    assert message.startswith("max_age must be")
    assert repr(value) in message
    assert "'30m'" in message


@pytest.mark.parametrize("value", ["99999999999999999d", "3651d", "315360001", "9" * 400, float("inf"), float("nan"), 1e300])
def test_parse_duration_refuses_more_than_ten_years_saying_the_bound(value):
    with pytest.raises(InvalidOption, match=r"max_age must be at most 3650 days \(3650d, ten years\)"):
        parse_duration(value, "max_age")


def test_parse_duration_accepts_ten_years():
    assert parse_duration("3650d", "max_age") == 3650 * 86400


def test_parse_duration_uses_the_given_option_name():
    with pytest.raises(InvalidOption, match=r"^wait_for_it must be"):
        parse_duration("soon", "wait_for_it")


def test_invalid_option_is_a_value_error():
    assert issubclass(InvalidOption, ValueError)


# labels -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "schedule",
        "Schedule",
        "app.kubernetes_io-x",
        "a" * 63,
        "example.com/name",
        "sub.example.com/name",
        "my-team/owner",
        "1/2",
        "hetzner.cloudy/x",
        "lockaware.hcloudish/x",
    ],
)
def test_valid_label_keys(key):
    assert label_key_problem(key) is None
    assert check_labels({key: "v"}) == {key: "v"}


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("", "name part"),
        ("a" * 64, "name part"),
        ("-start", "name part"),
        ("end-", "name part"),
        ("_x", "name part"),
        ("with space", "name part"),
        ("umlaut-ä", "name part"),
        ("example.com/", "name part"),
        ("Example.com/name", "prefix"),
        ("exa_mple.com/name", "prefix"),
        ("-bad.com/name", "prefix"),
        ("a/b/c", "prefix"),
        ("x" * 254 + "/name", "prefix"),
        ("hetzner.cloud/x", "reserved"),
        ("lockaware.hcloud/managed", "reserved"),
        ("lockaware.hcloud/request", "reserved"),
    ],
)
def test_invalid_label_keys(key, fragment):
    problem = label_key_problem(key)
    assert problem is not None
    assert fragment in problem
    with pytest.raises(InvalidOption) as raised:
        check_labels({key: "v"})
    assert str(raised.value).startswith(f"labels: invalid key {key!r}: ")


def test_check_labels_rejects_empty_prefix_before_slash():
    """A key with a slash needs a prefix (Hetzner and Kubernetes label rules); the API rejects '/name'.

    KNOWN BUG in plugins/module_utils/task/_validation.py: label_key_problem only checks the prefix when it is
    non-empty, so '/name' passes the module's validation and fails later at the API with invalid_input.
    """
    with pytest.raises(InvalidOption, match="prefix"):
        check_labels({"/name": "v"})


def test_reserved_prefix_message_names_both_prefixes():
    problem = label_key_problem("hetzner.cloud/x")
    assert "hetzner.cloud/" in problem
    assert "lockaware.hcloud/" in problem


def test_prefix_of_253_characters_is_allowed():
    prefix = ".".join(["a" * 63] * 4)[:253].rstrip(".")
    assert len(prefix) <= 253
    assert label_key_problem(prefix + "/name") is None


@pytest.mark.parametrize("value", ["", "v", "a" * 63, "Nightly_1.2-3", "0"])
def test_valid_label_values(value):
    assert label_value_problem(value) is None


@pytest.mark.parametrize("value", ["a" * 64, "-x", "x-", "with space", "a/b", ".x"])
def test_invalid_label_values(value):
    assert label_value_problem(value) is not None
    with pytest.raises(InvalidOption) as raised:
        check_labels({"key": value})
    assert str(raised.value).startswith(f"labels: invalid value {value!r} for key 'key': ")


def test_check_labels_converts_to_strings():
    assert check_labels({"count": 3, "flag": None, "on": True}) == {"count": "3", "flag": "", "on": "True"}


def test_check_labels_empty_and_none():
    assert check_labels(None) == {}
    assert check_labels({}) == {}


def test_check_labels_names_the_option():
    with pytest.raises(InvalidOption, match=r"^series_labels: invalid key"):
        check_labels({"hetzner.cloud/x": "1"}, option="series_labels")


def test_check_labels_reports_the_first_bad_entry():
    with pytest.raises(InvalidOption, match="'bad key'"):
        check_labels({"good": "1", "bad key": "2", "also bad!": "3"})


# check_non_negative -------------------------------------------------------------------------------------


def test_check_non_negative_accepts_zero_positive_and_unset():
    check_non_negative({"a": 0, "b": 5, "c": None}, ("a", "b", "c", "d"))


def test_check_non_negative_names_the_option():
    with pytest.raises(InvalidOption, match=r"^b must be zero or more seconds, got -1$"):
        check_non_negative({"a": 0, "b": -1}, ("a", "b"))
