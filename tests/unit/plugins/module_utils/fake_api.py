# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles for the unit tests: a fake clock, a fake rate limit observer, an in-memory project that implements
the API protocol (``_protocol.SnapshotApi``) and a transport that serves the real ``HcloudApi`` from it.

The fake API speaks the same plain dicts (the API's JSON) as ``_api.HcloudApi`` and records every call, so
tests can assert which requests a task made, and which of them were writes.
"""

from __future__ import annotations

import copy
import datetime
import re
import threading

from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import pick_server

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
ACTIONS_ID_CAP = 25  # GET /actions?id= answers the first 25 ids only, as the real API does
WRITE_METHODS = frozenset({"create_snapshot", "delete_image", "protect_image", "server_action", "label_server", "convert_backup"})
SERVER_LABEL = "lockaware.hcloud/server"


def iso(moment):
    """An API timestamp."""
    return moment.isoformat()


class FakeClock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self, start=1000.0, wall=NOW):
        self.time = start
        self.start = start
        self.wall = wall
        self.sleeps = []

    def __call__(self):
        return self.time

    def sleep(self, seconds):
        assert seconds >= 0, f"negative sleep {seconds}"
        self.sleeps.append(seconds)
        self.time += seconds

    def now(self):
        """Wall-clock time (aware, UTC) moving with the sleeps."""
        return self.wall + datetime.timedelta(seconds=self.time - self.start)

    @property
    def slept(self):
        return sum(self.sleeps)

    def checkpoint(self):
        """Never cancelled (``_cancel.CancellableClock`` wraps this clock for that)."""

    def shielded(self):
        return self


class FakeRateLimit:
    """Stands in for ``RateLimitObserver``: a fixed wait."""

    def __init__(self, wait=1.0):
        self.wait = wait
        self.asked = 0

    def seconds_until_next_request(self):
        self.asked += 1
        return self.wait


def make_image(
    image_id,
    server_id=42,
    status="available",
    description=None,
    labels=None,
    created=NOW,
    protected=False,
    image_type="snapshot",
    managed=False,
    server_name="web1",
    bound_to=None,
):
    """An image as the API returns it (``bound_to``: the server of a backup)."""
    labels = dict(labels or {})
    if managed:
        labels["lockaware.hcloud/managed"] = "true"
    return {
        "id": image_id,
        "type": image_type,
        "status": status,
        "name": None,
        "description": description if description is not None else f"snapshot-{image_id}",
        "image_size": 1.5 if status == "available" else None,
        "disk_size": 40,
        "created": iso(created) if isinstance(created, datetime.datetime) else created,
        "created_from": {"id": server_id, "name": server_name} if server_id is not None else None,
        "protection": {"delete": protected},
        "labels": labels,
        "bound_to": bound_to,
    }


def make_backup(image_id, server_id=42, created=NOW, status="available", protected=False, server_name="web1"):
    """An automatic backup of a server, as the API returns it."""
    description = f"{server_name}-{created:%Y%m%d%H%M%S}" if isinstance(created, datetime.datetime) else None
    return make_image(
        image_id, server_id, status, description, created=created, protected=protected, image_type="backup", server_name=server_name, bound_to=server_id
    )


def make_action(action_id, command="create_image", status="running", progress=0, error=None, started=NOW):
    """An action as the API returns it."""
    return {
        "id": action_id,
        "command": command,
        "status": status,
        "progress": progress,
        "started": iso(started),
        "finished": None if status == "running" else iso(started),
        "resources": [],
        "error": error,
    }


def make_server(server_id=42, name="web1", status="running", backup_window=None, server_type="cx22", location="fsn1"):
    """A server as the API returns it (only the keys the task reads)."""
    server = {"id": server_id, "name": name, "status": status, "labels": {}, "backup_window": backup_window}
    return dict(server, server_type={"name": server_type}, location={"name": location})


def parse_selector(selector):
    """``k=v,k2=v2`` as a dict (the fake understands equality, ``k`` (present, value None) and ``!k`` (absent, value False))."""
    if not selector:
        return {}
    wanted = {}
    for part in re.split(r",(?![^()]*\))", selector):
        if " in (" in part:
            key, values = part.split(" in (", 1)
            wanted[key] = frozenset(values.rstrip(")").split(","))
        elif part.startswith("!"):
            wanted[part[1:]] = False
        elif "=" not in part:
            wanted[part] = None
        else:
            key, value = part.split("=", 1)
            wanted[key] = value
    return wanted


def selected(image, wanted):
    """Whether an image's labels satisfy a parsed selector."""
    labels = image.get("labels") or {}
    for key, value in wanted.items():
        if value is False and key in labels:
            return False
        if value is None and key not in labels:
            return False
        if isinstance(value, frozenset):
            if labels.get(key) not in value:
                return False
        elif value not in (None, False) and labels.get(key) != value:
            return False
    return True


def created_after(image, since):
    """Whether an image was created from ``since`` on (None: always)."""
    return since is None or datetime.datetime.fromisoformat(image["created"].replace("Z", "+00:00")) >= since


class PlannedFailure:
    """An exception ``create_snapshot`` raises; with ``applied=True`` the snapshot is created all the same.

    ``meanwhile(api)``, if given, runs before the exception is raised: what another client does in the meantime.
    """

    def __init__(self, exc, applied=False, meanwhile=None):
        self.exc = exc
        self.applied = applied
        self.meanwhile = meanwhile


class FakeApi:
    """An in-memory Hetzner Cloud project with the methods of ``HcloudApi`` that the snapshot task uses.

    - ``running`` is a script of ``running_actions`` answers, consumed one per call (then: no action).
    - ``create_failures`` is a script of ``PlannedFailure`` for ``create_snapshot``, consumed one per call.
    - A created snapshot's action succeeds after ``action_polls`` polls of ``action()``, which makes the snapshot
      available; a snapshot still ``creating`` becomes available after ``image_polls`` polls of ``image()``.
    """

    def __init__(self, servers=None, images=(), now=lambda: NOW, action_polls=1, image_polls=1):
        self.servers = {server["id"]: dict(server) for server in (servers or [make_server()])}
        self.images = {image["id"]: copy.deepcopy(image) for image in images}
        self.actions = {}
        self.running = []
        self.create_failures = []
        self.create_action_errors = []  # per accepted create_image: the error its action ends in (None: success)
        self.delete_failures = {}
        self.convert_failures = {}  # image ID: a PlannedFailure for convert_backup (applied or not)
        # GET /pricing: the ``pricing`` object, unless ``pricing_failure`` (an exception) makes the read fail
        self.pricing_failure = None
        self.prices = {"currency": "EUR", "image": {"price_per_gb_month": {"net": "0.0119000000", "gross": "0.0141610000"}}}
        self.action_polls = action_polls
        self.image_polls = image_polls
        self.rate_limit = FakeRateLimit()
        self.calls = []
        self._now = now
        self._next_id = 9000
        self._polls_left = {}
        self._action_image = {}
        self._action_error = {}
        self._server_status_after = {}
        for image in self.images.values():
            self._track(image)

    def add_image(self, image):
        """An image someone else makes while the task runs."""
        self.images[image["id"]] = copy.deepcopy(image)
        self._track(image)

    def _track(self, image):
        if image["status"] == "creating":
            self._polls_left[("image", image["id"])] = self.image_polls

    # bookkeeping ------------------------------------------------------------------------------------------

    def _record(self, name, *args):
        self.calls.append((name, *args))

    def _new_id(self):
        self._next_id += 1
        return self._next_id

    def calls_to(self, name):
        """The arguments of every call of ``name``."""
        return [call[1:] for call in self.calls if call[0] == name]

    @property
    def writes(self):
        """Every write call made."""
        return [call for call in self.calls if call[0] in WRITE_METHODS]

    def snapshots_of(self, server_id=42):
        """The live snapshots of a server in the fake project."""
        return [image for image in self.images.values() if (image.get("created_from") or {}).get("id") == server_id]

    def _new_action(self, command, status="running", resources=()):
        action = make_action(self._new_id(), command=command, status=status, started=self._now())
        action["resources"] = list(resources)
        self.actions[action["id"]] = action
        if status == "running":
            self._polls_left[("action", action["id"])] = self.action_polls
        return action

    # reads ------------------------------------------------------------------------------------------------

    def server(self, name_or_id):
        self._record("server", name_or_id)
        text = str(name_or_id)
        named = next((server for server in self.servers.values() if server["name"] == text), None)
        numbered = self.servers.get(int(text)) if text.isdigit() else None
        return dict(pick_server(text, named, numbered))

    def current_server(self, server_id):
        """The server as it is now (the same store: the fake has no cache)."""
        self._record("current_server", server_id)
        return dict(self.servers[server_id])

    def snapshots(self, label_selector=None, since=None):
        self._record("snapshots", label_selector)
        return self._snapshots(label_selector, since)

    def snapshots_now(self, label_selector=None, since=None):
        """The same store: the fake has no cache."""
        self._record("snapshots_now", label_selector)
        return self._snapshots(label_selector, since)

    def server_snapshots_now(self, server_id, labels, since=None):
        """The same store: the fake has no cache."""
        selector = ",".join(f"{key}={value}" for key, value in sorted(labels.items())) or None
        self._record("server_snapshots_now", server_id, selector)
        return [image for image in self._snapshots(selector, since) if (image.get("created_from") or {}).get("id") == server_id]

    def series(self, server_id, labels):
        self._record("series", server_id)
        wanted = dict(labels, **{"lockaware.hcloud/managed": "true", SERVER_LABEL: str(server_id)})
        return [copy.deepcopy(image) for image in self.images.values() if image["type"] == "snapshot" and selected(image, wanted)]

    def unlabelled_managed(self):
        self._record("unlabelled_managed")
        return self._snapshots(f"lockaware.hcloud/managed,!{SERVER_LABEL}", None)

    def backups(self, server_id, since=None):
        """The server's backups (every backup of the project with ``server_id`` None), newest first."""
        self._record("backups", server_id)
        found = [
            copy.deepcopy(image)
            for image in self.images.values()
            if image["type"] == "backup" and server_id in (None, image.get("bound_to")) and created_after(image, since)
        ]
        return sorted(found, key=lambda image: (image["created"], image["id"]), reverse=True)

    def convert_backup(self, image_id, description, labels):
        self._record("convert_backup", image_id, description, dict(labels))
        failure = self.convert_failures.pop(image_id, None)
        if failure is not None and failure.meanwhile is not None:
            failure.meanwhile(self)
        if failure is not None and not failure.applied:
            raise failure.exc
        if image_id not in self.images:
            raise not_found("image")
        self.images[image_id].update(type="snapshot", bound_to=None, description=description, labels=dict(labels))
        if failure is not None:
            raise failure.exc
        return copy.deepcopy(self.images[image_id])

    def _snapshots(self, label_selector, since=None):
        wanted = parse_selector(label_selector)
        found = [
            copy.deepcopy(image) for image in self.images.values() if image["type"] == "snapshot" and selected(image, wanted) and created_after(image, since)
        ]
        return sorted(found, key=lambda image: (image["created"], image["id"]), reverse=True)

    def pricing(self):
        self._record("pricing")
        if self.pricing_failure is not None:
            raise self.pricing_failure
        return copy.deepcopy(self.prices)

    def running_actions(self, server_id):  # pylint: disable=unused-argument
        self._record("running_actions", server_id)
        return copy.deepcopy(self.running.pop(0)) if self.running else []

    def image(self, image_id):
        self._record("image", image_id)
        image = self.images.get(image_id)
        if image is None:
            return None
        key = ("image", image_id)
        if image["status"] == "creating" and key in self._polls_left:
            self._polls_left[key] -= 1
            if self._polls_left[key] <= 0:
                del self._polls_left[key]
                image["status"] = "available"
                image["image_size"] = 1.5
        return copy.deepcopy(image)

    def action(self, action_id):
        self._record("action", action_id)
        action = self.actions[action_id]
        key = ("action", action_id)
        if action["status"] == "running" and key in self._polls_left:
            self._polls_left[key] -= 1
            if self._polls_left[key] <= 0:
                del self._polls_left[key]
                self._finish_action(action)
        return copy.deepcopy(action)

    def _finish_action(self, action):
        image_id = self._action_image.get(action["id"])
        error = self._action_error.pop(action["id"], None)
        if error is not None:
            # As the real API does: the action ends in error, its image is left unavailable.
            action.update(status="error", progress=100, finished=iso(self._now()), error=error)
            if image_id in self.images:
                self.images[image_id].update(status="unavailable")
                self._polls_left.pop(("image", image_id), None)
            return
        action.update(status="success", progress=100, finished=iso(self._now()))
        if image_id in self.images:
            self.images[image_id].update(status="available", image_size=1.5)
            self._polls_left.pop(("image", image_id), None)
        server_id, status = self._server_status_after.get(action["id"], (None, None))
        if server_id is not None:
            self.servers[server_id]["status"] = status

    # writes -----------------------------------------------------------------------------------------------

    def create_snapshot(self, server_id, description, labels):
        self._record("create_snapshot", server_id, description, dict(labels))
        failure = self.create_failures.pop(0) if self.create_failures else None
        if failure is not None and failure.meanwhile is not None:
            failure.meanwhile(self)
        if failure is not None and not failure.applied:
            raise failure.exc
        image = make_image(self._new_id(), server_id=server_id, status="creating", description=description, labels=labels, created=self._now())
        image["created_from"]["name"] = self.servers[server_id]["name"]
        self.images[image["id"]] = image
        self._polls_left[("image", image["id"])] = self.image_polls
        action = self._new_action("create_image", resources=[{"id": server_id, "type": "server"}, {"id": image["id"], "type": "image"}])
        self._action_image[action["id"]] = image["id"]
        if self.create_action_errors:
            error = self.create_action_errors.pop(0)
            if error is not None:
                self._action_error[action["id"]] = error
        if failure is not None:
            raise failure.exc
        return copy.deepcopy(action), copy.deepcopy(image)

    def delete_image(self, image_id):
        self._record("delete_image", image_id)
        if image_id in self.delete_failures:
            raise self.delete_failures[image_id]
        self.images.pop(image_id)

    def protect_image(self, image_id):
        self._record("protect_image", image_id)
        self.images[image_id]["protection"] = {"delete": True}
        return self._new_action("change_protection", status="success")

    def label_server(self, server_id, labels):
        self._record("label_server", server_id, dict(labels))
        self.servers[server_id]["labels"] = dict(labels)
        return dict(self.servers[server_id])

    def server_action(self, server_id, command):
        self._record("server_action", server_id, command)
        action = self._new_action(command)
        self._server_status_after[action["id"]] = (server_id, "running" if command == "poweron" else "off")
        return copy.deepcopy(action)


def not_found(what):
    return APIException(code="not_found", message=f"{what} not found", details=None, correlation_id="fake")


def one_page(key, items):
    return {key: items, "meta": {"pagination": {"page": 1, "per_page": 50, "last_page": 1, "next_page": None, "total_entries": len(items)}}}


class FakeTransport:
    """The ``request`` of an ``hcloud.Client``, answered from a ``FakeApi``'s project.

    With it the real ``HcloudApi`` (and the fleet's shared reads on top of it) runs against the same in-memory
    project as the fake itself; ``calls`` records every request as ``(method, path, params)``.
    """

    def __init__(self, api):
        self.api = api
        self.calls = []
        self._lock = threading.Lock()

    def request(self, method, path, params=None, json=None):
        with self._lock:
            self.calls.append((method, path, dict(params or {})))
            return self._answer(method, path.strip("/").split("/"), params or {}, json or {})

    def _answer(self, method, parts, params, body):  # noqa: PLR0911, PLR0912  one branch per route
        api = self.api
        if method == "GET" and parts == ["servers"]:
            servers = [dict(server) for server in api.servers.values() if params.get("name") in (None, server["name"])]
            return one_page("servers", servers)
        if method == "GET" and parts == ["servers", "actions"]:
            # The fake's script of running actions is project-wide: an action that names no server locks them all.
            actions = api.running_actions(None)
            for action in actions:
                if not any(resource.get("type") == "server" for resource in action.get("resources") or []):
                    action["resources"] = [{"type": "server", "id": server_id} for server_id in api.servers]
            return one_page("actions", actions)
        if method == "GET" and parts[0] == "servers" and len(parts) == 3 and parts[2] == "actions":
            return one_page("actions", api.running_actions(int(parts[1])))
        if method == "GET" and parts[0] == "servers" and len(parts) == 2:
            if int(parts[1]) not in api.servers:
                raise not_found("server")
            return {"server": api.current_server(int(parts[1]))}
        if method == "GET" and parts == ["images"] and params.get("type") == "backup":
            return one_page("images", api.backups(params.get("bound_to")))
        if method == "GET" and parts == ["images"]:
            return one_page("images", api.snapshots(params.get("label_selector")))
        if method == "PUT" and parts[0] == "servers":
            return {"server": api.label_server(int(parts[1]), body["labels"])}
        if method == "PUT" and parts[0] == "images" and body.get("type") == "snapshot":
            return {"image": api.convert_backup(int(parts[1]), body["description"], body["labels"])}
        if method == "GET" and parts[0] == "images":
            image = api.image(int(parts[1]))
            if image is None:
                raise not_found("image")
            return {"image": image}
        if method == "GET" and parts == ["pricing"]:
            return {"pricing": api.pricing()}
        if method == "GET" and parts == ["actions"]:
            assert "per_page" not in params, "GET /actions takes only id"
            return {"actions": [api.action(action_id) for action_id in params["id"][:ACTIONS_ID_CAP]]}  # the real API's cap
        if method == "GET" and parts[0] == "actions":
            return {"action": api.action(int(parts[1]))}
        if method == "POST" and parts[-1] == "create_image":
            action, image = api.create_snapshot(int(parts[1]), body["description"], body["labels"])
            return {"action": action, "image": image}
        if method == "POST" and parts[0] == "images":
            return {"action": api.protect_image(int(parts[1]))}
        if method == "POST":
            return {"action": api.server_action(int(parts[1]), parts[3])}
        if method == "DELETE":
            api.delete_image(int(parts[1]))
            return {}
        raise AssertionError(f"no route for {method} /{'/'.join(parts)}")
