# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small in-memory project for the rollback's unit tests: servers, images and the server's actions, with a rebuild
that can be refused, applied and answered with an error, or dropped (``plan_rebuild``)."""

from __future__ import annotations

import datetime

import requests
from hcloud import APIException

from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, FakeRateLimit, iso, not_found


def api_error(code):
    return APIException(code=code, message=f"fake {code}", details=None, correlation_id="fake")


def snapshot(image_id, server_id=42, server_name="web1", hours=6, status="available", disk=40, labels=None, description=None, image_type="snapshot"):
    return {
        "id": image_id,
        "type": image_type,
        "status": status,
        "description": description or f"{server_name}-{image_id}",
        "created": iso(NOW - datetime.timedelta(hours=hours)),
        "created_from": {"id": server_id, "name": server_name} if server_id else None,
        "disk_size": disk,
        "architecture": "x86",
        "labels": dict(labels or {}),
        "protection": {"delete": False},
        "image_size": 3.2,
    }


def server(server_id=42, name="web1", status="running", image=None, disk=40, rebuild_protected=False):
    return {
        "id": server_id,
        "name": name,
        "status": status,
        "image": image or {"id": 1003, "type": "system", "description": "Ubuntu 24.04"},
        "primary_disk_size": disk,
        "server_type": {"architecture": "x86"},
        "protection": {"delete": rebuild_protected, "rebuild": rebuild_protected},
    }


class FakeClient:
    """``api.client.request`` for the rebuild POST."""

    def __init__(self, project):
        self.project = project

    def request(self, method, path, params=None, json=None):
        assert method == "POST" and path.endswith("/actions/rebuild"), (method, path)
        return self.project.rebuild(int(path.split("/")[2]), json["image"])


class RestoreProject:
    """The API calls a rollback makes, against one in-memory project; every write is recorded in ``writes``."""

    def __init__(self, servers, images, actions=()):
        self.servers = {item["id"]: dict(item) for item in servers}
        self.images = {item["id"]: dict(item) for item in images}
        self.actions = {item["id"]: dict(item) for item in actions}
        self.rate_limit = FakeRateLimit()
        self.client = FakeClient(self)
        self.writes = []
        self.plans = []  # what the next rebuild POSTs do: "ok", "refuse:<code>", "lost:<code>" (applied), "drop" (applied)
        self.running = []  # actions listed as running by running_actions
        self._next = 900

    # reads
    def server(self, name_or_id):
        for item in self.servers.values():
            if item["name"] == name_or_id or str(item["id"]) == str(name_or_id):
                return dict(item)
        raise not_found("server")

    def current_server(self, server_id):
        return dict(self.servers[server_id])

    def image(self, image_id):
        return dict(self.images[image_id]) if image_id in self.images else None

    def snapshots(self, label_selector=None, since=None):  # pylint: disable=unused-argument
        return [dict(item) for item in self.images.values() if item["type"] == "snapshot"]

    def running_actions(self, server_id):  # pylint: disable=unused-argument
        return list(self.running)

    def action(self, action_id):
        action = self.actions[action_id]
        if action["status"] == "running":  # a poll finds it done
            action["status"], action["progress"], action["finished"] = "success", 100, iso(NOW)
        return dict(action)

    def get(self, path, params=None):
        server_id = int(path.split("/")[2])
        mine = sorted((a for a in self.actions.values() if a["server_id"] == server_id), key=lambda a: a["id"], reverse=True)
        return {"actions": [dict(a) for a in mine], "meta": {"pagination": {"next_page": None}}}

    # writes
    def server_action(self, server_id, command):
        self.writes.append((command, server_id))
        self.servers[server_id]["status"] = "off" if command == "poweroff" else "running"
        return self._action(server_id, command, status="success")

    def _action(self, server_id, command, status="running"):
        self._next += 1
        action = {"id": self._next, "command": command, "status": status, "progress": 0, "started": iso(NOW), "finished": None, "server_id": server_id}
        self.actions[action["id"]] = action
        return dict(action)

    def rebuild(self, server_id, image_id):
        plan = self.plans.pop(0) if self.plans else "ok"
        if plan.startswith("refuse:"):
            raise api_error(plan.split(":", 1)[1])
        self.writes.append(("rebuild", server_id, image_id))
        self.servers[server_id]["image"] = {"id": image_id, "type": self.images[image_id]["type"], "description": self.images[image_id]["description"]}
        self.servers[server_id]["status"] = "running"
        action = self._action(server_id, "rebuild_server")
        if plan.startswith("lost:"):
            raise api_error(plan.split(":", 1)[1])
        if plan == "drop":
            raise requests.exceptions.ConnectionError("connection dropped")
        return {"action": action, "root_password": None}

    def rebuilds(self):
        return [write for write in self.writes if write[0] == "rebuild"]
