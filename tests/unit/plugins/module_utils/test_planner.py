# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the planner: from a server's snapshots, what the task is to do (no API)."""

from __future__ import annotations

import datetime

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._planner import (
    ADOPT,
    CREATE,
    UNCHANGED,
    blocked_reason,
    new_description,
    plan_absent,
    plan_present,
    predicted_snapshot,
)
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, make_image, make_server

SERVER = make_server()
TODAY = "web1-2026-11-23"


def options(**given):
    defaults = {name: spec.get("default") for name, spec in argument_spec().items()}
    return SnapshotOptions.from_params(dict(defaults, server="web1", **given))


def test_an_available_match_leaves_things_unchanged_and_one_being_created_is_adopted():
    available = make_image(1, description=TODAY)
    creating = make_image(2, description=TODAY, status="creating")
    assert plan_present([creating, available], options(), SERVER, NOW) == plan_present([available], options(), SERVER, NOW)
    assert plan_present([available], options(), SERVER, NOW).step == UNCHANGED
    plan = plan_present([creating], options(), SERVER, NOW)
    assert (plan.step, plan.match["id"]) == (ADOPT, 2)


def test_no_match_or_force_creates():
    assert plan_present([make_image(1, description="other")], options(), SERVER, NOW).step == CREATE
    assert plan_present([make_image(1, description=TODAY)], options(force=True), SERVER, NOW).step == CREATE


def test_with_max_age_the_age_is_the_identity():
    recent = make_image(1, description="anything", created=NOW - datetime.timedelta(hours=2))
    assert plan_present([recent], options(max_age="3h"), SERVER, NOW).step == UNCHANGED
    assert plan_present([recent], options(max_age="1h"), SERVER, NOW).step == CREATE


def test_absent_deletes_ours_leaves_others_and_names_what_blocks():
    ours = make_image(1, description=TODAY, managed=True)
    theirs = make_image(2, description=TODAY)
    protected = make_image(3, description=TODAY, managed=True, protected=True)
    plan = plan_absent([ours, theirs, protected], options(state="absent"), SERVER, NOW)
    assert sorted(image["id"] for image in plan.delete) == [1, 3]
    assert [image["id"] for image in plan.left] == [2]
    assert [image["id"] for image in plan.blocked] == [3]
    assert blocked_reason(protected) == "protected: remove its delete protection first"
    assert blocked_reason(make_image(4, status="creating")) == "still creating: run again once it is available"
    assert len(plan_absent([ours, theirs], options(state="absent", include_unmanaged=True), SERVER, NOW).delete) == 2


def test_the_new_description_and_the_predicted_snapshot():
    assert new_description(options(), SERVER, NOW) == TODAY
    assert new_description(options(description="pre-upgrade", max_age="1h"), SERVER, NOW) == "pre-upgrade"
    predicted = predicted_snapshot(options(labels={"series": "nightly"}), SERVER, NOW)
    assert predicted["labels"] == {"series": "nightly", "lockaware.hcloud/managed": "true", "lockaware.hcloud/server": "42"}
    assert (predicted["status"], predicted["description"], predicted["created_from"]) == ("available", TODAY, {"id": 42, "name": "web1"})
