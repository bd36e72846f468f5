"""Unit tests for reading a server's series, earlier versions' snapshots included."""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._series import earlier_versions, plan_series, read_series
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeApi, make_image

SERVER = "lockaware.hcloud/server"


def project():
    return FakeApi(
        images=[
            make_image(1, managed=True, labels={SERVER: "42"}),
            make_image(2, managed=True),  # an earlier version's snapshot of this server
            make_image(3, managed=True, server_id=43),  # an earlier version's, of another server
            make_image(4),  # made by hand
            make_image(5, managed=True, labels={"schedule": "weekly"}),  # earlier version's, another series
        ]
    )


def test_the_legacy_part_is_read_with_the_series_without_a_write():
    api = project()
    assert sorted(image["id"] for image in read_series(api, 42, {})) == [1, 2, 5]
    assert api.writes == []  # no relabelling: 0.1's snapshots stay as they are until rotation retires them
    assert SERVER not in api.images[2]["labels"] and SERVER not in api.images[5]["labels"]
    api.calls.clear()
    assert sorted(image["id"] for image in read_series(api, 42, {})) == [1, 2, 5]  # the next run reads them the same way
    assert len(api.calls_to("unlabelled_managed")) == 1


def test_only_the_series_labels_are_read():
    api = project()
    assert [image["id"] for image in read_series(api, 42, {"schedule": "weekly"})] == [5]


def test_a_hand_made_snapshot_that_looks_like_one_of_the_series_is_not_in_it():
    look_alike = make_image(6, description="web1-2026-11-20", labels={"schedule": "weekly"})  # 0.1's description, no managed label
    labelled_by_another_server = make_image(7, managed=True, labels={SERVER: "43"})  # made from 42, in 43's series: not 42's
    api = FakeApi(images=[look_alike, labelled_by_another_server, make_image(8, managed=True)])
    assert [image["id"] for image in read_series(api, 42, {})] == [8]
    assert earlier_versions([look_alike, labelled_by_another_server], 42, {}) == []


def test_a_legacy_snapshot_counts_in_rotation_and_the_oldest_goes_first():
    legacy = [make_image(10 + day, managed=True, created=f"2026-11-0{day}T02:00:00+00:00") for day in range(1, 8)]  # 0.1's seven
    hand_made = make_image(30, description="web1-2026-10-31", created="2026-10-31T02:00:00+00:00")
    new = make_image(20, managed=True, labels={SERVER: "42"}, created="2026-11-08T02:00:00+00:00")
    api = FakeApi(images=[*legacy, hand_made, new])
    planned = plan_series(read_series(api, 42, {}), 42, {}, keep_last(7), new)
    assert planned.plan["delete"] == [11]  # keep 7 of the series, legacy included: the oldest legacy one goes
    assert sorted(image["id"] for image in planned.series) == [*range(11, 18), 20]
    assert 30 not in {image["id"] for image in planned.series}


def keep_last(count):
    return {"last": count, "hourly": 0, "daily": 0, "weekly": 0, "monthly": 0, "yearly": 0}


def test_the_series_plan_counts_only_the_series_and_puts_this_runs_snapshot_first():
    listing = [
        make_image(1, managed=True, labels={SERVER: "42"}, created="2026-11-01T00:00:00+00:00"),
        make_image(2, managed=True, labels={SERVER: "42"}, created="2026-11-02T00:00:00+00:00"),
        make_image(3, managed=True, labels={SERVER: "42"}, server_id=43),  # carries the label, made of another server
        make_image(4, labels={SERVER: "42"}),  # carries the label, not made by this collection
        dict(make_image(5, managed=True, labels={SERVER: "42"}), status="deleted"),
    ]
    new = make_image(6, managed=True, labels={SERVER: "42"}, created="2026-10-01T00:00:00+00:00")  # older clock, still the newest
    planned = plan_series(listing, 42, {}, keep_last(2), new)
    assert sorted(image["id"] for image in planned.series) == [1, 2, 6]
    assert planned.new_id == 6
    assert planned.plan["delete"] == [1]
    assert planned.plan["snapshots"][0]["id"] == 6


def test_the_series_plan_without_this_runs_snapshot_plans_the_series_as_it_is():
    listing = [make_image(image_id, managed=True, labels={SERVER: "42"}, created=f"2026-11-0{image_id}T00:00:00+00:00") for image_id in (1, 2, 3)]
    planned = plan_series(listing, 42, {}, keep_last(1))
    assert planned.new_id is None
    assert planned.plan["delete"] == [2, 1]
    another_clients = make_image(9, labels={"schedule": "x"})  # not in the series: the series keeps its own rules
    assert plan_series(listing, 42, {}, keep_last(1), another_clients).new_id is None
