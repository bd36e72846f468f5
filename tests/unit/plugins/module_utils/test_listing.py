"""Unit tests for the snapshot listings that stay small and do not skip."""

from __future__ import annotations

import datetime

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._listing import PER_PAGE, consistent_listing, read_newest_first, shrinking_listing

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 12, 1, tzinfo=UTC)


def image(image_id):
    """Image ``n`` was created ``n`` minutes after START."""
    return {"id": image_id, "created": (START + datetime.timedelta(minutes=image_id)).isoformat()}


class Project:
    """Images answered newest first, by offset pages, as the API does; ``between`` runs after each page read."""

    def __init__(self, count, between=None):
        self.images = {image_id: image(image_id) for image_id in range(1, count + 1)}
        self.requests = []
        self.between = between

    def get(self, params):
        self.requests.append(dict(params))
        assert params["sort"] == ["created:desc", "id:asc"]
        ordered = sorted(self.images.values(), key=lambda item: item["created"], reverse=True)
        page, per_page = params["page"], params["per_page"]
        chunk = ordered[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(ordered) // per_page))
        body = {"images": [dict(item) for item in chunk], "meta": {"pagination": {"next_page": page + 1 if page < last else None, "last_page": last}}}
        if self.between:
            self.between(self, len(self.requests))
        return body


def test_one_page_is_one_request():
    project = Project(12)
    assert sorted(item["id"] for item in consistent_listing(project.get, {"type": "snapshot"})) == list(range(1, 13))
    assert len(project.requests) == 1


def test_the_window_stops_the_read_at_the_first_older_snapshot():
    project = Project(3 * PER_PAGE)
    since = START + datetime.timedelta(minutes=3 * PER_PAGE - 10)
    items, pages = read_newest_first(project.get, {}, since)
    assert sorted(item["id"] for item in items) == list(range(3 * PER_PAGE - 10, 3 * PER_PAGE + 1))
    assert pages == 1


def test_a_deletion_between_pages_does_not_hide_a_snapshot():
    def delete_newest_once(project, request_count):
        if request_count == 1:
            del project.images[max(project.images)]  # shifts every later item forward by one

    project = Project(2 * PER_PAGE, between=delete_newest_once)
    listed = {item["id"] for item in consistent_listing(project.get, {})}
    assert set(project.images) <= listed
    assert len(project.requests) > 2  # it read again because the first read spanned pages


def test_under_constant_churn_the_union_of_the_reads_still_holds_every_survivor():
    def delete_one_per_request(project, request_count):
        newest = max(project.images)
        if newest > 60:
            del project.images[newest]

    project = Project(3 * PER_PAGE, between=delete_one_per_request)
    listed = [item["id"] for item in consistent_listing(project.get, {})]
    assert len(listed) == len(set(listed))  # no snapshot twice
    assert set(project.images) <= set(listed)  # none missed


# The legacy part of the series (0.1's snapshots): one pass from the last page, nothing skipped as they are deleted ----


class ShrinkingProject:
    """Images answered by ID, by offset pages; ``between(project, reads)`` runs after each page read."""

    def __init__(self, count, between=None):
        self.ids = list(range(1, count + 1))
        self.requests = []
        self.between = between

    def get(self, params):
        self.requests.append(dict(params))
        assert params["sort"] == "id:asc"
        page, per_page = params["page"], params["per_page"]
        chunk = sorted(self.ids)[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(self.ids) // per_page))
        body = {"images": [{"id": image_id} for image_id in chunk], "meta": {"pagination": {"next_page": page + 1 if page < last else None, "last_page": last}}}
        if self.between:
            self.between(self, len(self.requests))
        return body


def delete_the_first_after_each_read(project, reads):
    project.ids.remove(sorted(project.ids)[0])  # rotation elsewhere retires the oldest, between every two page reads
    if reads == 1:
        project.ids.append(10_000)  # and one is made meanwhile (a higher ID: after every page)


def test_the_legacy_listing_skips_none_while_the_set_shrinks_and_reads_each_page_once_plus_one():
    project = ShrinkingProject(3 * PER_PAGE, between=delete_the_first_after_each_read)
    survivors = set(range(1, 3 * PER_PAGE + 1))
    found = {item["id"] for item in shrinking_listing(project.get, {"type": "snapshot"})}
    assert survivors & set(project.ids) <= found  # every snapshot there from the first read to the last was seen
    assert [request["page"] for request in project.requests] == [1, 3, 2, 1]


def test_read_in_page_order_the_same_deletions_would_hide_snapshots():
    project = ShrinkingProject(3 * PER_PAGE, between=delete_the_first_after_each_read)
    found = set()
    for page in (1, 2, 3):
        found |= {item["id"] for item in project.get({"sort": "id:asc", "page": page, "per_page": PER_PAGE})["images"]}
    assert set(project.ids) - found - {10_000}  # the reason for the order


def test_one_page_of_legacy_snapshots_is_one_read():
    project = ShrinkingProject(PER_PAGE)
    assert len(shrinking_listing(project.get, {"type": "snapshot"})) == PER_PAGE
    assert len(project.requests) == 1
