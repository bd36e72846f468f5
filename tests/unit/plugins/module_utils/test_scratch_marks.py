# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The marks of a scratch server (``_scratch_marks``)."""

from __future__ import annotations

import datetime
import re

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_marks import (
    DRILL_LABEL,
    EXPIRES_LABEL,
    expired,
    is_scratch,
    leftover_selector,
    run_selector,
    scratch_labels,
    scratch_name,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption, check_run_id, label_value_problem

NOW = datetime.datetime(2026, 12, 7, 23, 0, tzinfo=datetime.timezone.utc)
HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@pytest.mark.parametrize("run_id", ["20261207t230000z-1234", "a", "A-b-9"])
def test_good_run_ids(run_id):
    assert check_run_id(run_id) == run_id


@pytest.mark.parametrize("run_id", ["", "-a", "a-", "a_b", "a.b", "x" * 41, "a b", "ü"])
def test_bad_run_ids_are_refused_naming_the_rule(run_id):
    with pytest.raises(InvalidOption, match="run_id must be 1 to 40 letters"):
        check_run_id(run_id)


def test_names_are_host_names_unique_per_origin_and_run():
    long_run = "r" * 40
    names = {scratch_name({"id": server_id, "name": "Web_1.example.com" * 4}, long_run) for server_id in (1, 2)}
    assert len(names) == 2
    assert all(HOSTNAME.match(name) and len(name) <= 63 for name in names)
    assert scratch_name({"id": 5, "name": "___"}, "run") == "drill-server-5-run"


def test_labels_are_valid_values_and_carry_the_mark():
    labels = scratch_labels("run-1", 42, 500, NOW, "f" * 32)
    assert all(label_value_problem(value) is None for value in labels.values())
    assert labels[DRILL_LABEL] == "run-1" and labels[EXPIRES_LABEL] == "20261207T230000Z"
    assert is_scratch({"labels": labels})
    assert not is_scratch({"labels": {"lockaware.hcloud/drill-origin": "42"}})
    assert not is_scratch({"labels": {DRILL_LABEL: ""}})


def test_expiry():
    assert not expired({"labels": {DRILL_LABEL: "r", EXPIRES_LABEL: "20261207T230001Z"}}, NOW)
    assert expired({"labels": {DRILL_LABEL: "r", EXPIRES_LABEL: "20261207T230000Z"}}, NOW)
    assert expired({"labels": {DRILL_LABEL: "r"}}, NOW)  # nothing says it is still needed
    assert expired({"labels": {DRILL_LABEL: "r", EXPIRES_LABEL: "tomorrow"}}, NOW)


def test_selectors():
    assert leftover_selector("run-1") == "lockaware.hcloud/drill,lockaware.hcloud/drill!=run-1"
    assert leftover_selector(None) == "lockaware.hcloud/drill"
    assert run_selector("run-1", 42) == "lockaware.hcloud/drill=run-1,lockaware.hcloud/drill-origin=42"
