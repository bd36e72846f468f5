# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Hetzner Cloud API calls the snapshot plugins make, as plain dicts (the API's JSON).

Reads are retried within a deadline; writes are sent once (the library's own retries are turned off) and
their failures are left to the caller, which reconciles a write of unknown outcome before trying again.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import build_client
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._listing import consistent_listing, shrinking_listing
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import MANAGED_LABEL, SERVER_LABEL, label_selector, made_from, series_labels
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._ratelimit import RateLimitObserver
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code, retry_read
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import could_be_id, pick_server
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import READ_PATIENCE, SYSTEM_CLOCK, Clock, Deadline

PER_PAGE = 50
# A price is worth a short wait, not a long one: rotation does not depend on it (``_pricing``).
PRICING_PATIENCE = 15.0
# Pages read one after the other or side by side must come in one order, or items move between them.
STABLE_ORDER = "id:asc"


class HcloudApi:
    """The API calls of the collection (``_protocol.SnapshotApi``), with bounded retries for reads."""

    def __init__(self, client: Any, rate_limit: Any, clock: Clock = SYSTEM_CLOCK, read_patience: float = READ_PATIENCE) -> None:
        self.client = client
        self.rate_limit = rate_limit
        self._clock = clock
        self._read_patience = read_patience

    @classmethod
    def connect(cls, api_token: str, api_endpoint: str, request_timeout: float | None, **kwargs: Any) -> HcloudApi:
        """Connect with the library's retries off and the rate limit headers observed."""
        client = build_client(api_token, api_endpoint, request_timeout)
        return cls(client, RateLimitObserver().attach(client), **kwargs)

    # reads ------------------------------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None, deadline: Deadline | None = None) -> dict:
        """GET with retries of transient failures, bounded by ``deadline`` (or the default patience)."""
        deadline = deadline or Deadline(self._read_patience, clock=self._clock)
        return retry_read(lambda: self.client.request("GET", path, params=params), deadline, self.rate_limit, sleep=self._clock.sleep)

    def get_all(self, path: str, key: str, params: dict | None = None, deadline: Deadline | None = None) -> list[dict]:
        """Every item of a paginated list, following ``meta.pagination.next_page``."""
        items: list[dict] = []
        page: int | None = 1
        while page:
            body = self.get(path, params={"sort": STABLE_ORDER, **(params or {}), "page": page, "per_page": PER_PAGE}, deadline=deadline)
            items.extend(body[key])
            page = ((body.get("meta") or {}).get("pagination") or {}).get("next_page")
        return items

    def get_all_concurrently(self, path: str, key: str, params: dict | None = None, workers: int = 8, deadline: Deadline | None = None) -> list[dict]:
        """Like ``get_all``, but once the first page tells how many there are, fetch the rest in parallel.

        The result is in the API's order, the same as fetching the pages one after the other.
        """
        params = {"sort": STABLE_ORDER, **(params or {}), "per_page": PER_PAGE}
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

    def server(self, name_or_id: str) -> dict:
        """The server this name or ID means (``_servers.pick_server``): looked up by name, and by ID if all digits."""
        text = str(name_or_id)
        named = next(iter(self.get("/servers", params={"name": text})["servers"]), None)
        numbered = self._server_by_id(text) if could_be_id(text) else None
        return pick_server(text, named, numbered)

    def _server_by_id(self, text: str) -> dict | None:
        try:
            return self.get(f"/servers/{text}")["server"]
        except Exception as exc:
            if error_code(exc) == "not_found":
                return None
            raise

    def current_server(self, server_id: int) -> dict:
        """The server with this ID as it is now."""
        return self.get(f"/servers/{server_id}")["server"]

    def snapshots(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The images of type snapshot (any status: filter status yourself), optionally narrowed by labels, newest
        first and only those created from ``since`` on; a consistent listing (``_listing``)."""
        params = {"type": "snapshot"}
        if label_selector:
            params["label_selector"] = label_selector
        return consistent_listing(lambda query: self.get("/images", params=query), params, since)

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The same: this client always reads from the API."""
        return self.snapshots(label_selector, since)

    def server_snapshots_now(self, server_id: int, labels: dict, since: datetime | None = None) -> list[dict]:
        """The snapshots created from the server that carry ``labels``, from ``since`` on: one listing, read now."""
        return [image for image in self.snapshots(label_selector(labels), since) if made_from(image, server_id)]

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """The snapshots of a server's series (the server label and the series' labels), read now: one page."""
        return self.snapshots(label_selector(dict(labels, **series_labels(server_id))))

    def unlabelled_managed(self) -> list[dict]:
        """The snapshots this collection made without the server label (0.1's: the legacy part of their series)."""
        query = {"type": "snapshot", "label_selector": f"{MANAGED_LABEL},!{SERVER_LABEL}"}
        return shrinking_listing(lambda params: self.get("/images", params=params), query)

    def backups(self, server_id: int, since: datetime | None = None) -> list[dict]:
        """The automatic backups bound to this server, newest first, back to ``since``; a consistent listing."""
        return self.backup_images(since, server_id)

    def backup_images(self, since: datetime | None = None, server_id: int | None = None) -> list[dict]:
        """The project's automatic backups (or one server's: ``bound_to``), newest first, back to ``since``."""
        params: dict = {"type": "backup"}
        if server_id is not None:
            params["bound_to"] = server_id
        return consistent_listing(lambda query: self.get("/images", params=query), params, since)

    def image(self, image_id: int) -> dict | None:
        """One image, or ``None`` if it no longer exists."""
        try:
            return self.get(f"/images/{image_id}")["image"]
        except Exception as exc:
            if error_code(exc) == "not_found":
                return None
            raise

    def pricing(self) -> dict:
        """The project's prices (the ``pricing`` object of GET /pricing), read with a short patience."""
        return self.get("/pricing", deadline=Deadline(PRICING_PATIENCE, clock=self._clock))["pricing"]

    def action(self, action_id: int) -> dict:
        """One action."""
        return self.get(f"/actions/{action_id}")["action"]

    def running_actions(self, server_id: int) -> list[dict]:
        """The actions now running on a server (what keeps it locked)."""
        return self.get_all(f"/servers/{server_id}/actions", "actions", params={"status": "running"})

    # writes (sent once) -----------------------------------------------------------------------------------

    def create_snapshot(self, server_id: int, description: str, labels: dict) -> tuple[dict, dict]:
        """POST create_image; returns ``(action, image)``."""
        body = self.client.request(
            "POST", f"/servers/{server_id}/actions/create_image", json={"type": "snapshot", "description": description, "labels": labels}
        )
        return body["action"], body["image"]

    def convert_backup(self, image_id: int, description: str, labels: dict) -> dict:
        """PUT the backup as a snapshot with its description and labels, in one request (no action, no lock)."""
        body = {"type": "snapshot", "description": description, "labels": labels}
        return self.client.request("PUT", f"/images/{image_id}", json=body)["image"]

    def label_server(self, server_id: int, labels: dict) -> dict:
        """PUT the server's labels (all of them: the API replaces the set); returns the server."""
        return self.client.request("PUT", f"/servers/{server_id}", json={"labels": labels})["server"]

    def delete_image(self, image_id: int) -> None:
        """DELETE an image."""
        self.client.request("DELETE", f"/images/{image_id}")

    def protect_image(self, image_id: int) -> dict:
        """Turn on delete protection; returns the action."""
        return self.client.request("POST", f"/images/{image_id}/actions/change_protection", json={"delete": True})["action"]

    def server_action(self, server_id: int, command: str) -> dict:
        """POST a power action (shutdown, poweroff, poweron); returns the action."""
        return self.client.request("POST", f"/servers/{server_id}/actions/{command}")["action"]
