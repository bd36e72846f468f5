"""Unit tests for reading a server's series, earlier versions' snapshots included."""

from __future__ import annotations

from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils._series import read_series
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
