"""Unit tests for reading a server's series, earlier versions' snapshots included."""

from __future__ import annotations

from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._series import plan_series, read_series
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


def test_earlier_versions_snapshots_are_labelled_into_their_series():
    api = project()
    assert sorted(image["id"] for image in read_series(api, 42, {}, check_mode=False)) == [1, 2, 5]
    assert sorted(call[0] for call in api.calls_to("label_image")) == [2, 5]
    assert api.images[2]["labels"] == {"lockaware.hcloud/managed": "true", SERVER: "42"}
    assert api.images[5]["labels"]["schedule"] == "weekly"  # the other labels stay
    assert SERVER not in api.images[3]["labels"] and SERVER not in api.images[4]["labels"]
    api.calls.clear()
    assert sorted(image["id"] for image in read_series(api, 42, {}, check_mode=False)) == [1, 2, 5]
    assert api.calls_to("label_image") == []  # the next run finds them in the series listing


def test_only_the_series_labels_are_read():
    api = project()
    assert [image["id"] for image in read_series(api, 42, {"schedule": "weekly"}, check_mode=False)] == [5]


def test_check_mode_counts_them_without_writing():
    api = project()
    assert sorted(image["id"] for image in read_series(api, 42, {}, check_mode=True)) == [1, 2, 5]
    assert api.writes == []


def test_a_snapshot_deleted_before_it_is_labelled_is_not_rotated():
    api = project()

    def gone(image_id, labels):  # pylint: disable=unused-argument
        raise APIException(code="not_found", message="image not found", details=None)

    api.label_image = gone
    series = {image["id"]: image for image in read_series(api, 42, {}, check_mode=False)}
    assert series[2]["status"] == "deleted"


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
