"""Unit tests for the snapshot listings that stay small and do not skip."""

from __future__ import annotations

import datetime

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._listing import PER_PAGE, consistent_listing, read_newest_first

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
