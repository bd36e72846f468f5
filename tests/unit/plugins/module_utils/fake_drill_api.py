# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory project for the restore drill's unit tests: servers, snapshots, server types, prices and actions,
behind the calls ``_scratch_servers`` and ``_drill_task`` make of ``HcloudApi`` (``client.request``, ``get``,
``get_all``, ``server``, ``snapshots``, ``pricing``...). Actions run for a number of fake-clock seconds; every request
is recorded, and planned failures (``fail_next``) stand in for lost answers and refusals.
"""

from __future__ import annotations

import datetime
import itertools

from hcloud import APIException

from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, FakeClock, iso

TYPES = [
    {"id": 1, "name": "cx22", "disk": 40, "cores": 2, "memory": 4.0, "architecture": "x86", "deprecated": False, "locations": [{"name": "fsn1"}]},
    {"id": 2, "name": "cx23", "disk": 40, "cores": 2, "memory": 4.0, "architecture": "x86", "deprecated": False, "locations": [{"name": "fsn1"}]},
    {"id": 3, "name": "cx43", "disk": 160, "cores": 8, "memory": 16.0, "architecture": "x86", "deprecated": False, "locations": [{"name": "fsn1"}]},
    {"id": 4, "name": "cax11", "disk": 40, "cores": 2, "memory": 4.0, "architecture": "arm", "deprecated": False, "locations": [{"name": "fsn1"}]},
]
MONTHLY = {"cx22": "3.79", "cx23": "3.49", "cx43": "9.49", "cax11": "3.79"}


def pricing():
    """``GET /pricing``'s server type prices, hourly = monthly / 730 rounded as the API does."""
    return {
        "currency": "EUR",
        "server_types": [
            {
                "name": name,
                "prices": [
                    {
                        "location": "fsn1",
                        "price_hourly": {"net": str(round(float(monthly) / 730, 4)), "gross": str(round(float(monthly) * 1.19 / 730, 4))},
                        "price_monthly": {"net": monthly, "gross": str(round(float(monthly) * 1.19, 4))},
                    }
                ],
            }
            for name, monthly in MONTHLY.items()
        ],
    }


def snapshot(image_id, server_id, hours_old, status="available", disk=20, labels=None, image_type="snapshot"):
    return {
        "id": image_id,
        "type": image_type,
        "status": status,
        "description": f"image {image_id}",
        "created": iso(NOW - datetime.timedelta(hours=hours_old)),
        "created_from": {"id": server_id, "name": f"server{server_id}"},
        "disk_size": disk,
        "image_size": 2.5,
        "architecture": "x86",
        "labels": labels or {},
    }


class FakeClient:
    """``client.request`` of the fake project."""

    def __init__(self, api):
        self.api = api

    def request(self, method, path, json=None, params=None):
        return self.api.request(method, path, json)


class FakeDrillApi:
    """The project; ``create_seconds`` is how long a new server is locked (``create_server`` then ``start_server``)."""

    def __init__(self, clock: FakeClock, create_seconds=4.0):
        self.clock = clock
        self.create_seconds = create_seconds
        self.ids = itertools.count(900)
        self.servers = {1: self._server(1, "web1", {}), 2: self._server(2, "db1", {})}
        self.images = [snapshot(10, 1, 30), snapshot(11, 1, 2), snapshot(12, 2, 1)]
        self.actions = {}
        self.requests = []
        self.planned = []  # (method, path, exception, applied)
        self.client = FakeClient(self)

    def _server(self, server_id, name, labels, server_type="cx22"):
        return {
            "id": server_id,
            "name": name,
            "status": "running",
            "created": iso(self.clock.now()),
            "labels": dict(labels),
            "protection": {"delete": False, "rebuild": False},
            "server_type": {"name": server_type},
            "location": {"name": "fsn1"},
            "public_net": {"ipv4": {"ip": f"198.18.0.{server_id % 250}"}, "ipv6": {"ip": "2001:db8:1::/64"}},
        }

    def fail_next(self, method, path, exception, applied=False):
        """The next such request fails with ``exception``; ``applied``: after it was carried out (a lost answer)."""
        self.planned.append((method, path, exception, applied))

    def locked_until(self, server_id):
        return max((action["ends"] for action in self.actions.values() if action["server"] == server_id), default=0.0)

    def _action(self, server_id, command, seconds):
        action_id = next(self.ids)
        self.actions[action_id] = {"id": action_id, "command": command, "server": server_id, "ends": self.clock() + seconds, "fail": False}
        return self.render_action(action_id)

    def render_action(self, action_id):
        action = self.actions[action_id]
        done = self.clock() >= action["ends"]
        status = ("error" if action["fail"] else "success") if done else "running"
        error = {"code": "action_failed", "message": "creating the server failed"} if status == "error" else None
        return {"id": action_id, "command": action["command"], "status": status, "progress": 100 if done else 50, "started": iso(NOW), "error": error}

    # the HTTP surface ---------------------------------------------------------------------------------------

    def request(self, method, path, body=None):
        self.requests.append((method, path))
        planned = next((item for item in self.planned if item[0] == method and item[1] == path), None)
        if planned is not None:
            self.planned.remove(planned)
            if not planned[3]:
                raise planned[2]
        answer = self._handle(method, path, body)
        if planned is not None:
            raise planned[2]
        return answer

    def _handle(self, method, path, body):
        if (method, path) == ("POST", "/servers"):
            server = self._server(next(self.ids), body["name"], body["labels"], body["server_type"])
            server["status"] = "initializing"
            server["image"] = {"id": body["image"]}
            self.servers[server["id"]] = server
            action = self._action(server["id"], "create_server", self.create_seconds)
            return {"server": dict(server), "action": action, "next_actions": []}
        if method == "DELETE" and path.startswith("/servers/"):
            server_id = int(path.rsplit("/", 1)[1])
            if server_id not in self.servers:
                raise APIException("not_found", "server not found", None)
            if self.clock() < self.locked_until(server_id):
                raise APIException("locked", "server is locked", None)
            del self.servers[server_id]
            return {"action": self._action(server_id, "delete_server", 1)}
        raise AssertionError(f"unexpected {method} {path}")

    # the reads HcloudApi offers -------------------------------------------------------------------------------

    def get(self, path, params=None, deadline=None):
        self.requests.append(("GET", path))
        if path == "/actions":
            return {"actions": [self.render_action(action_id) for action_id in params["id"]]}
        raise AssertionError(f"unexpected GET {path}")

    def get_all(self, path, key, params=None, deadline=None):
        self.requests.append(("GET", path))
        if path == "/server_types":
            return [dict(kind) for kind in TYPES]
        if path == "/servers":
            wanted = dict(part.split("=", 1) for part in params["label_selector"].split(",") if "=" in part and "!=" not in part)
            return [dict(server) for server in self.servers.values() if all(server["labels"].get(key) == value for key, value in wanted.items())]
        raise AssertionError(f"unexpected GET {path}")

    def current_server(self, server_id):
        self.requests.append(("GET", f"/servers/{server_id}"))
        if server_id not in self.servers:
            raise APIException("not_found", "server not found", None)
        server = self.servers[server_id]
        if server["status"] == "initializing" and self.clock() >= self.locked_until(server_id) and not self._failed(server_id):
            server["status"] = "running"
        return dict(server)

    def _failed(self, server_id):
        return any(action["fail"] and action["server"] == server_id for action in self.actions.values())

    def running_actions(self, server_id):
        self.requests.append(("GET", f"/servers/{server_id}/actions"))
        if server_id not in self.servers:
            raise APIException("not_found", "server not found", None)
        return [self.render_action(action_id) for action_id, action in self.actions.items() if action["server"] == server_id and self.clock() < action["ends"]]

    def server(self, name_or_id):
        return next(server for server in self.servers.values() if server["name"] == name_or_id or str(server["id"]) == str(name_or_id))

    def snapshots(self, label_selector=None, since=None):
        return [dict(image) for image in self.images]

    def pricing(self):
        return pricing()

    def writes(self):
        return [request for request in self.requests if request[0] in ("POST", "DELETE")]
