# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the tests' keep-N oracle (``retention_oracle.choose_deletions``: only the right snapshots of a
series ever go) and for ``_retention.in_series``."""

from __future__ import annotations

import datetime
import random

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import newest_first
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import in_series
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, make_image
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.retention_oracle import choose_deletions

SERIES = {"schedule": "nightly"}


def day(n):
    """A snapshot created ``n`` days ago."""
    return NOW - datetime.timedelta(days=n)


def member(image_id, days_ago, **kwargs):
    kwargs.setdefault("labels", SERIES)
    return make_image(image_id, created=day(days_ago), managed=True, **kwargs)


def ids(images):
    return sorted(image["id"] for image in images)


def test_keeps_the_newest_n_and_deletes_the_rest():
    images = [member(i, days_ago=i) for i in range(1, 8)]
    assert ids(choose_deletions(images, 42, SERIES, keep=3)) == [4, 5, 6, 7]


def test_deletes_nothing_when_the_series_is_short():
    images = [member(1, 1), member(2, 2)]
    assert choose_deletions(images, 42, SERIES, keep=2) == []
    assert choose_deletions(images, 42, SERIES, keep=5) == []
    assert choose_deletions([], 42, SERIES, keep=1) == []


def test_keep_one_leaves_only_the_newest():
    images = [member(3, 3), member(1, 1), member(2, 2)]
    assert ids(choose_deletions(images, 42, SERIES, keep=1)) == [2, 3]


def test_order_of_input_does_not_matter():
    images = [member(i, days_ago=i) for i in range(1, 6)]
    shuffled = list(images)
    random.Random(3).shuffle(shuffled)
    assert ids(choose_deletions(shuffled, 42, SERIES, keep=2)) == ids(choose_deletions(images, 42, SERIES, keep=2)) == [3, 4, 5]


def test_never_deletes_protected_snapshots():
    images = [member(1, 1), member(2, 2), member(3, 3, protected=True), member(4, 4)]
    assert ids(choose_deletions(images, 42, SERIES, keep=1)) == [2, 4]


def test_protected_among_newest_counts_towards_keep():
    images = [member(1, 1, protected=True), member(2, 2), member(3, 3)]
    assert ids(choose_deletions(images, 42, SERIES, keep=2)) == [3]


def test_creating_snapshots_are_neither_counted_nor_deleted():
    images = [member(1, 0, status="creating"), member(2, 1), member(3, 2), member(4, 3)]
    assert ids(choose_deletions(images, 42, SERIES, keep=2)) == [4]


@pytest.mark.parametrize(
    "outsider",
    [
        make_image(100, created=day(30), labels=SERIES),  # unmanaged
        make_image(101, created=day(30), labels={"schedule": "weekly"}, managed=True),  # other series
        make_image(102, created=day(30), managed=True),  # no series labels
        make_image(103, created=day(30), labels=SERIES, managed=True, server_id=43),  # other server
        make_image(104, created=day(30), labels=SERIES, managed=True, image_type="backup"),  # backup
        make_image(105, created=day(30), labels=SERIES, managed=True, status="deleted"),
        make_image(106, created=day(30), labels=SERIES, managed=True, status="unknown"),
        make_image(107, created=day(30), labels={**SERIES, "lockaware.hcloud/managed": "no"}),
    ],
    ids=["unmanaged", "other-labels", "no-labels", "other-server", "backup", "deleted", "unknown", "managed-false"],
)
def test_never_touches_snapshots_outside_the_series(outsider):
    images = [member(1, 1), member(2, 2), outsider]
    assert ids(choose_deletions(images, 42, SERIES, keep=1)) == [2]


def test_outsiders_do_not_count_towards_keep():
    images = [
        make_image(50, created=day(0), labels=SERIES),
        make_image(51, created=day(0), labels=SERIES, managed=True, server_id=43),
        member(1, 1),
        member(2, 2),
    ]
    assert ids(choose_deletions(images, 42, SERIES, keep=2)) == []


def test_series_with_extra_labels_still_belongs():
    images = [member(1, 1, labels={**SERIES, "team": "ops"}), member(2, 2)]
    assert ids(choose_deletions(images, 42, SERIES, keep=1)) == [2]


def test_empty_series_labels_means_all_managed_snapshots_of_the_server():
    images = [member(1, 1, labels={}), member(2, 2, labels={"x": "y"}), make_image(3, created=day(3))]
    assert ids(choose_deletions(images, 42, {}, keep=1)) == [2]


@pytest.mark.parametrize("keep", [0, -1, -10])
def test_keep_below_one_raises(keep):
    with pytest.raises(ValueError, match="keep must be at least 1"):
        choose_deletions([member(1, 1)], 42, SERIES, keep=keep)


def test_in_series():
    assert in_series(member(1, 1), 42, SERIES)
    assert not in_series(member(1, 1), 43, SERIES)
    assert not in_series(make_image(1, labels=SERIES), 42, SERIES)


def random_image(rng, image_id):
    return make_image(
        image_id,
        server_id=rng.choice([42, 42, 42, 43]),
        status=rng.choice(["available", "available", "available", "creating", "deleted"]),
        labels=rng.choice([SERIES, SERIES, {"schedule": "weekly"}, {}, {**SERIES, "extra": "1"}]),
        created=NOW - datetime.timedelta(hours=rng.randrange(0, 200)),
        protected=rng.random() < 0.2,
        managed=rng.random() < 0.8,
        image_type=rng.choice(["snapshot"] * 9 + ["backup"]),
    )


@pytest.mark.parametrize("seed", range(40))
def test_property_rotation_invariants(seed):
    rng = random.Random(seed)
    images = [random_image(rng, image_id) for image_id in range(1, rng.randrange(0, 25) + 1)]
    keep = rng.randrange(1, 6)
    doomed = choose_deletions(images, 42, SERIES, keep)
    doomed_ids = {image["id"] for image in doomed}
    series = [image for image in images if in_series(image, 42, SERIES) and image["status"] == "available"]
    newest = newest_first(series)[:keep]

    assert len(doomed_ids) == len(doomed), "an image chosen twice"
    for image in doomed:
        assert in_series(image, 42, SERIES)
        assert image["status"] == "available"
        assert not image["protection"]["delete"]
    assert not doomed_ids & {image["id"] for image in newest}, "one of the newest keep was chosen"
    left = [image for image in series if image["id"] not in doomed_ids]
    assert len(left) >= min(keep, len(series))
    # and it is complete: every older unprotected member goes
    expected = {image["id"] for image in newest_first(series)[keep:] if not image["protection"]["delete"]}
    assert doomed_ids == expected
