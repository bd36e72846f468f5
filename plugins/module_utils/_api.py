# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Hetzner Cloud API calls the snapshot plugins make, as plain dicts (the API's JSON).

Reads are retried within a deadline; writes are sent once (the library's own retries are turned off) and
their failures are left to the caller, which reconciles a write of unknown outcome before trying again.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.lockaware.hcloud.plugins.module_utils._client import build_client
from ansible_collections.lockaware.hcloud.plugins.module_utils._deadline import Deadline
from ansible_collections.lockaware.hcloud.plugins.module_utils._ratelimit import RateLimitObserver
from ansible_collections.lockaware.hcloud.plugins.module_utils._retry import error_code, retry_read

PER_PAGE = 50
READ_PATIENCE = 120


class ServerNotFound(LookupError):
    """No server has that name or ID."""


class HcloudApi:
    """The API calls of the collection, with bounded retries for reads."""

    def __init__(self, client, rate_limit, sleep=time.sleep, read_patience=READ_PATIENCE):
        self.client = client
        self.rate_limit = rate_limit
        self._sleep = sleep
        self._read_patience = read_patience

    @classmethod
    def connect(cls, api_token, api_endpoint, request_timeout, **kwargs):
        """Connect with the library's retries off and the rate limit headers observed."""
        client = build_client(api_token, api_endpoint, request_timeout, library_retries=False)
        return cls(client, RateLimitObserver().attach(client), **kwargs)

    # reads ------------------------------------------------------------------------------------------------

    def get(self, path, params=None, deadline=None):
        """GET with retries of transient failures, bounded by ``deadline`` (or the default patience)."""
        deadline = deadline or Deadline(self._read_patience)
        return retry_read(lambda: self.client.request("GET", path, params=params), deadline, self.rate_limit, sleep=self._sleep)

    def get_all(self, path, key, params=None, deadline=None):
        """Every item of a paginated list, following ``meta.pagination.next_page``."""
        items, page = [], 1
        while page:
            body = self.get(path, params={**(params or {}), "page": page, "per_page": PER_PAGE}, deadline=deadline)
            items.extend(body[key])
            page = ((body.get("meta") or {}).get("pagination") or {}).get("next_page")
        return items

    def get_all_concurrently(self, path, key, params=None, workers=8, deadline=None):
        """Like ``get_all``, but once the first page tells how many there are, fetch the rest in parallel.

        The result is in the API's order, the same as fetching the pages one after the other.
        """
        params = dict(params or {}, per_page=PER_PAGE)
        first = self.get(path, params=dict(params, page=1), deadline=deadline)
        pagination = (first.get("meta") or {}).get("pagination") or {}
        last_page = pagination.get("last_page")
        if last_page is None and pagination.get("next_page"):
            return self.get_all(path, key, params=params, deadline=deadline)
        if not last_page or last_page <= 1:
            return list(first[key])
        with ThreadPoolExecutor(max_workers=max(1, min(workers, last_page - 1))) as pool:
            rest = pool.map(lambda page: self.get(path, params=dict(params, page=page), deadline=deadline)[key], range(2, last_page + 1))
            return [*first[key], *(item for page in rest for item in page)]

    def server(self, name_or_id):
        """The server with this ID (all digits) or name; raises ``ServerNotFound``."""
        text = str(name_or_id)
        if text.isdigit():
            try:
                return self.get(f"/servers/{text}")["server"]
            except Exception as exc:
                if error_code(exc) == "not_found":
                    raise ServerNotFound(text) from exc
                raise
        servers = self.get("/servers", params={"name": text})["servers"]
        if not servers:
            raise ServerNotFound(text)
        return servers[0]

    def current_server(self, server_id):
        """The server with this ID as it is now."""
        return self.get(f"/servers/{server_id}")["server"]

    def snapshots(self, label_selector=None, fresh=True):  # pylint: disable=unused-argument
        """Every image of type snapshot (any status: filter status yourself), optionally narrowed by labels.

        Always read from the API (``fresh`` matters for the caching facade of fleet runs).
        """
        params = {"type": "snapshot"}
        if label_selector:
            params["label_selector"] = label_selector
        return self.get_all("/images", "images", params=params)

    def image(self, image_id):
        """One image, or ``None`` if it no longer exists."""
        try:
            return self.get(f"/images/{image_id}")["image"]
        except Exception as exc:
            if error_code(exc) == "not_found":
                return None
            raise

    def action(self, action_id):
        """One action."""
        return self.get(f"/actions/{action_id}")["action"]

    def running_actions(self, server_id, deadline=None):
        """The actions now running on a server (what keeps it locked)."""
        return self.get_all(f"/servers/{server_id}/actions", "actions", params={"status": "running"}, deadline=deadline)

    # writes (sent once) -----------------------------------------------------------------------------------

    def create_snapshot(self, server_id, description, labels):
        """POST create_image; returns ``(action, image)``."""
        body = self.client.request(
            "POST", f"/servers/{server_id}/actions/create_image", json={"type": "snapshot", "description": description, "labels": labels}
        )
        return body["action"], body["image"]

    def delete_image(self, image_id):
        """DELETE an image."""
        self.client.request("DELETE", f"/images/{image_id}")

    def protect_image(self, image_id):
        """Turn on delete protection; returns the action."""
        return self.client.request("POST", f"/images/{image_id}/actions/change_protection", json={"delete": True})["action"]

    def server_action(self, server_id, command):
        """POST a power action (shutdown, poweroff, poweron); returns the action."""
        return self.client.request("POST", f"/servers/{server_id}/actions/{command}")["action"]
