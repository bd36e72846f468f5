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
