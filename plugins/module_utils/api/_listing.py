# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot listings that stay small and do not skip.

The API pages by offset: while other clients create or delete snapshots, an item can move across a page boundary
between two page reads and be skipped (or seen twice). A listing here is therefore

- narrow: label-selected (a server's series is ``lockaware.hcloud/server=<id>``; in steady state, ``keep`` plus one
  snapshots, one page of 50), or sorted newest first (``sort=created:desc``) and read only until the first snapshot
  older than the window that can match (the default description names a date, ``max_age`` bounds itself);
- consistent: a listing that fits one page is one response, which the API answers from one state. A listing that
  spans pages is read again, until two reads agree on the set of IDs (at most ``READS`` times; after that the
  union of the reads is returned, so that a snapshot skipped by one read is still seen). Items are de-duplicated by ID.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from collections.abc import Callable

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import parse_time

PER_PAGE = 50
# Newest first, ties (the same second) in ID order: a stable order across page reads.
NEWEST_FIRST = ["created:desc", "id:asc"]
READS = 3


def read_newest_first(get: Callable[[dict], dict], params: dict, since: datetime.datetime | None) -> tuple[list[dict], int]:
    """The images newest first, stopping at the first one created before ``since``; also how many pages were read."""
    items: dict[int, dict] = {}
    page: int | None = 1
    pages = 0
    while page:
        body = get({**params, "sort": NEWEST_FIRST, "page": page, "per_page": PER_PAGE})
        pages += 1
        for image in body["images"]:
            if since is not None and parse_time(image["created"]) < since:
                return list(items.values()), pages
            items.setdefault(image["id"], image)
        page = ((body.get("meta") or {}).get("pagination") or {}).get("next_page")
    return list(items.values()), pages


def consistent_listing(get: Callable[[dict], dict], params: dict, since: datetime.datetime | None = None) -> list[dict]:
    """The images the selector and window name, read again while a multi-page read disagrees with the last."""
    items, pages = read_newest_first(get, params, since)
    seen = {image["id"]: image for image in items}
    for _read in range(READS - 1):
        if pages <= 1:
            return items
        again, pages = read_newest_first(get, params, since)
        if {image["id"] for image in again} == {image["id"] for image in items}:
            return again
        seen.update({image["id"]: image for image in again})
        items = again
    return list(seen.values()) if pages > 1 else items


def shrinking_listing(get: Callable[[dict], dict], params: dict) -> list[dict]:
    """Every image the selector names, in one pass that skips none while images are deleted or created meanwhile.

    For a set that others only shrink or add to (0.1's snapshots: rotation deletes them, nothing makes new ones):
    sorted by ID, so that a created image (a higher ID) lands after every page, and read from the last page to the
    first, so that an image deleted meanwhile moves the rest toward the pages still to be read, never into one read
    already. Page 1, read first to learn the number of pages, is read again last. ``pages + 1`` reads instead of the
    ``2 x pages`` of a listing read until two reads agree.
    """
    query = {**params, "sort": "id:asc", "per_page": PER_PAGE}
    first = get({**query, "page": 1})
    pagination = (first.get("meta") or {}).get("pagination") or {}
    last_page = pagination.get("last_page")
    if last_page is None and pagination.get("next_page"):  # an answer that does not say how many pages: twice over
        return sorted(consistent_listing(get, params), key=lambda image: image["id"])
    if not last_page or last_page <= 1:
        return list(first["images"])
    items: dict[int, dict] = {}
    for page in [*range(last_page, 1, -1), 1]:
        for image in get({**query, "page": page})["images"]:
            items.setdefault(image["id"], image)
    return sorted(items.values(), key=lambda image: image["id"])
