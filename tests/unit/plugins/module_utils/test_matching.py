# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _matching: which existing snapshot is "the" snapshot a task asks for."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import (
    SnapshotIdentity,
    age_seconds,
    find_matches,
    has_labels,
    is_live_snapshot_of,
    is_managed,
    label_selector,
    newest_first,
    parse_time,
)
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, make_image

HOUR = datetime.timedelta(hours=1)


def ago(**kwargs):
    return NOW - datetime.timedelta(**kwargs)


# description identity -----------------------------------------------------------------------------------


def test_description_identity_matches_same_server_and_description():
    identity = SnapshotIdentity(42, description="web1-2026-11-23")
    assert identity.matches(make_image(1, description="web1-2026-11-23"), NOW)
    assert not identity.matches(make_image(2, description="web1-2026-11-22"), NOW)
    assert not identity.matches(make_image(3, description="WEB1-2026-11-23"), NOW)


def test_description_identity_ignores_age():
    identity = SnapshotIdentity(42, description="keep-forever")
    assert identity.matches(make_image(1, description="keep-forever", created=ago(days=400)), NOW)


def test_description_identity_matches_creating_snapshots():
    identity = SnapshotIdentity(42, description="d")
    assert identity.matches(make_image(1, description="d", status="creating"), NOW)


@pytest.mark.parametrize(
    "image",
    [
        make_image(1, description="d", server_id=43),
        make_image(2, description="d", server_id=None),
        make_image(3, description="d", image_type="backup"),
        make_image(4, description="d", image_type="system"),
        make_image(5, description="d", status="deleted"),
        make_image(6, description="d", status="unknown"),
        make_image(7, description="d", status="error"),
    ],
    ids=["other-server", "no-created-from", "backup", "system", "deleted", "unknown", "error"],
)
def test_identity_excludes_other_servers_types_and_dead_statuses(image):
    assert not SnapshotIdentity(42, description="d").matches(image, NOW)
    assert not SnapshotIdentity(42, max_age=10**9).matches(image, NOW)


def test_server_id_compared_as_given_not_by_name():
    image = make_image(1, description="d", server_id=42, server_name="other-name")
    assert SnapshotIdentity(42, description="d").matches(image, NOW)


# labels -------------------------------------------------------------------------------------------------


def test_labels_must_be_a_subset_of_the_image_labels():
    image = make_image(1, description="d", labels={"schedule": "nightly", "team": "ops"}, managed=True)
    assert SnapshotIdentity(42, description="d", labels={"schedule": "nightly"}).matches(image, NOW)
    assert SnapshotIdentity(42, description="d", labels={"schedule": "nightly", "team": "ops"}).matches(image, NOW)
    assert SnapshotIdentity(42, description="d", labels={}).matches(image, NOW)
    assert not SnapshotIdentity(42, description="d", labels={"schedule": "weekly"}).matches(image, NOW)
    assert not SnapshotIdentity(42, description="d", labels={"schedule": "nightly", "extra": "x"}).matches(image, NOW)


def test_labels_match_empty_values_exactly():
    image = make_image(1, labels={"flag": ""})
    assert has_labels(image, {"flag": ""})
    assert not has_labels(make_image(2), {"flag": ""})
    assert not has_labels(make_image(3, labels={"flag": "x"}), {"flag": ""})


def test_has_labels_tolerates_missing_or_null_labels():
    image = make_image(1)
    image["labels"] = None
    assert has_labels(image, {})
    assert not has_labels(image, {"a": "b"})
    del image["labels"]
    assert not is_managed(image)


def test_is_managed_needs_the_exact_value():
    assert is_managed(make_image(1, managed=True))
    assert not is_managed(make_image(2))
    assert not is_managed(make_image(3, labels={"lockaware.hcloud/managed": "false"}))
    assert not is_managed(make_image(4, labels={"managed": "true"}))


def test_label_selector_is_sorted_and_none_when_empty():
    assert label_selector({"b": "2", "a": "1"}) == "a=1,b=2"
    assert label_selector({}) is None


# max_age identity ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (datetime.timedelta(0), True),
        (datetime.timedelta(hours=11, minutes=59, seconds=59), True),
        (datetime.timedelta(hours=12), True),
        (datetime.timedelta(hours=12, seconds=1), False),
        (datetime.timedelta(days=3), False),
        (-datetime.timedelta(minutes=5), True),  # clock skew: a snapshot from the near future is recent
    ],
)
def test_max_age_identity_boundaries(age, expected):
    identity = SnapshotIdentity(42, max_age=12 * 3600)
    assert identity.matches(make_image(1, created=NOW - age), NOW) is expected


def test_max_age_identity_ignores_description():
    identity = SnapshotIdentity(42, description=None, max_age=3600)
    assert identity.matches(make_image(1, description="anything at all", created=ago(minutes=10)), NOW)


def test_max_age_identity_still_needs_labels():
    identity = SnapshotIdentity(42, labels={"reason": "pre-upgrade"}, max_age=3600)
    assert identity.matches(make_image(1, labels={"reason": "pre-upgrade"}, created=ago(minutes=10)), NOW)
    assert not identity.matches(make_image(2, labels={"reason": "other"}, created=ago(minutes=10)), NOW)


def test_times_with_z_suffix_and_offsets_parse_to_the_same_instant():
    assert parse_time("2026-11-23T12:00:00Z") == NOW
    assert parse_time("2026-11-23T13:00:00+01:00") == NOW
    assert age_seconds(make_image(1, created="2026-11-23T11:00:00Z"), NOW) == 3600
    assert age_seconds(make_image(1, created="2026-11-23T11:00:00+00:00"), NOW) == 3600


# ordering -----------------------------------------------------------------------------------------------


def test_newest_first_orders_by_created_then_id():
    images = [make_image(1, created=ago(hours=3)), make_image(3, created=ago(hours=1)), make_image(2, created=ago(hours=1)), make_image(4, created=NOW)]
    assert [image["id"] for image in newest_first(images)] == [4, 3, 2, 1]


def test_find_matches_puts_available_before_creating_each_newest_first():
    images = [
        make_image(1, created=ago(hours=5), status="available"),
        make_image(2, created=ago(hours=1), status="creating"),
        make_image(3, created=ago(hours=2), status="available"),
        make_image(4, created=ago(minutes=1), status="creating"),
        make_image(5, created=ago(hours=4), status="available"),
        make_image(6, created=ago(minutes=2), status="deleted"),
        make_image(7, created=ago(minutes=3), server_id=7),
    ]
    matches = find_matches(images, SnapshotIdentity(42, max_age=86400), NOW)
    assert [image["id"] for image in matches] == [3, 5, 1, 4, 2]


def test_find_matches_filters_by_identity():
    images = [make_image(1, description="a"), make_image(2, description="b"), make_image(3, description="a", status="creating")]
    assert [image["id"] for image in find_matches(images, SnapshotIdentity(42, description="a"), NOW)] == [1, 3]
    assert find_matches(images, SnapshotIdentity(42, description="c"), NOW) == []
    assert find_matches([], SnapshotIdentity(42, description="a"), NOW) == []


def test_is_live_snapshot_of():
    assert is_live_snapshot_of(make_image(1), 42)
    assert is_live_snapshot_of(make_image(1, status="creating"), 42)
    assert not is_live_snapshot_of(make_image(1), 43)
    assert not is_live_snapshot_of(make_image(1, status="deleted"), 42)
    assert not is_live_snapshot_of(make_image(1, image_type="backup"), 42)
