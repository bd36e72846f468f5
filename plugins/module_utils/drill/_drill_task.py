# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One step of a restore drill: restore a server's newest snapshot onto a scratch server, or delete scratch servers.

``restore()`` chooses (``_drill_choice``), creates and waits (``_scratch_servers``); whatever goes wrong after the
create request was sent, a cancel included, the scratch server is deleted again on the shielded clock before the
task fails. ``remove()`` deletes the scratch servers of a run, and the leftovers of earlier runs, each with what it
was billed; its deletions run on the shielded clock, bounded by ``lock_timeout``, so a cancel does not stop them.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import label_selector, parse_time
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import could_be_id
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._drill_choice import (
    add_costs,
    billed_cost,
    location_of,
    own_snapshot,
    smallest_fitting_type,
    type_prices,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._drill_views import scratch_view, snapshot_brief
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_marks import (
    expired,
    leftover_selector,
    run_selector,
    scratch_labels,
    scratch_name,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_servers import ScratchServers
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, brief, doing, failure_message
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Deadline


@dataclass(frozen=True)
class DrillOptions:
    """The checked options of one drill step."""

    run_id: str | None
    origin: str | None = None
    snapshot_labels: dict | None = None
    expires_in: float = 3 * 3600
    ssh_keys: tuple = ()
    wait_timeout: float = 3600
    lock_timeout: float = 600
    leftovers: str = "none"


class DrillTask:
    """Restore one server's snapshot onto a scratch server, or remove scratch servers."""

    def __init__(self, servers: ScratchServers, options: DrillOptions, check_mode: bool = False) -> None:
        self.servers = servers
        self.api = servers.api
        self.options = options
        self.check_mode = check_mode
        self.clock = servers.clock

    # restore ----------------------------------------------------------------------------------------------

    def restore(self) -> dict:
        """Create the scratch server from the origin's newest snapshot and wait until it runs."""
        origin, snapshot, kind, pricing = self._choose()
        location = str(location_of(origin))
        prices = type_prices(pricing, kind["name"], location)
        name = scratch_name(origin, str(self.options.run_id))
        plan: dict = {"origin": {"id": origin["id"], "name": origin["name"], "location": location}, "snapshot": snapshot_brief(snapshot)}
        plan["price"] = dict(prices or {}, currency=(pricing or {}).get("currency"), server_type=kind["name"])
        what = f"snapshot {snapshot['id']} ({brief(snapshot.get('description'))}) of {origin['name']} onto a new {kind['name']} in {location}"
        if self.check_mode:
            return dict(plan, changed=True, restorable=None, msg=f"would restore {what} ({name}), then delete it")
        request_id = uuid.uuid4().hex
        expires = self.clock.now() + datetime.timedelta(seconds=self.options.expires_in)
        body = {
            "name": name,
            "server_type": kind["name"],
            "image": snapshot["id"],
            "location": location,
            "labels": scratch_labels(str(self.options.run_id), origin["id"], snapshot["id"], expires, request_id),
            "start_after_create": True,
        }
        if self.options.ssh_keys:
            body["ssh_keys"] = list(self.options.ssh_keys)
        started = self.clock()
        created = None
        try:
            deadline = self._deadline(self.options.wait_timeout)
            with doing(f"creating scratch server {name} from {what}"):
                created, actions = self.servers.create(body, request_id, deadline)
            with doing(f"waiting for scratch server {name} to run"):
                server = self.servers.wait_running(created, actions, deadline)
        except Exception as exc:
            removed = self._remove_after_failure(created, request_id, pricing)
            failed = TaskFailed.of(exc, f"restoring {what}")
            raise TaskFailed(f"{failed.msg}; {removed['msg']}", failed.failure, failed.trace, **dict(plan, restorable=False, removed=removed)) from exc
        seconds = round(self.clock() - started, 1)
        return dict(plan, changed=True, restorable=True, seconds_to_restore=seconds, scratch=scratch_view(server), msg=f"restored {what} in {seconds:g} s")

    def _choose(self) -> tuple[dict, dict, dict, dict | None]:
        """The origin server, its newest own snapshot, the smallest fitting type, and the prices (None if unknown)."""
        with doing(f"reading server {self.options.origin}"):
            origin = self.api.server(self.options.origin)
        labels = self.options.snapshot_labels or {}
        with doing(f"listing the snapshots of server {origin['name']}"):
            snapshot = own_snapshot(origin["id"], self.api.snapshots(label_selector(labels)), labels)
        if snapshot is None:
            carrying = f" carrying {label_selector(labels)}" if labels else ""
            raise TaskFailed(
                f"server {origin['name']} has no available snapshot made from it{carrying}: there is nothing to restore; "
                "make one (lockaware.hcloud.snapshot) before the drill",
                restorable=False,
                origin={"id": origin["id"], "name": origin["name"], "location": location_of(origin)},
            )
        with doing("reading the server types"):
            types = self.servers.server_types()
        pricing = self._pricing()
        kind = smallest_fitting_type(types, snapshot, str(location_of(origin)), pricing)
        if kind is None:
            raise TaskFailed(
                f"no server type available in {location_of(origin)} fits snapshot {snapshot['id']} of {origin['name']} "
                f"({snapshot.get('disk_size')} GB disk, {snapshot.get('architecture', 'x86')}): it cannot be restored there",
                restorable=False,
            )
        return origin, snapshot, kind, pricing

    def _pricing(self) -> dict | None:
        try:
            return self.api.pricing()
        except Exception:  # pylint: disable=broad-exception-caught
            return None  # the cost is then unknown (null), the drill goes on

    def _deadline(self, seconds: float) -> Deadline:
        return Deadline(seconds, clock=self.clock)

    def _remove_after_failure(self, created: dict | None, request_id: str, pricing: dict | None) -> dict:
        """Delete the scratch server this task made (found by its request label if its answer was lost)."""
        shielded = self.servers.on_clock(self.clock.shielded())
        try:
            server = created or shielded.by_request(request_id)
            if server is None:
                return {"deleted": [], "msg": "no scratch server was created"}
            entry = self._delete(shielded, server, pricing)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return {"deleted": [], "msg": f"the scratch server could not be deleted ({failure_message(exc)}); the next drill deletes it"}
        return {"deleted": [entry], "msg": f"scratch server {entry['name']} was deleted"}

    # remove -----------------------------------------------------------------------------------------------

    def remove(self) -> dict:
        """Delete this run's scratch servers (of one origin, if given) and, with ``leftovers``, other runs'."""
        shielded = self.servers.on_clock(self.clock.shielded())
        selected = {server["id"]: server for server in self._selected(shielded)}
        pricing = self._pricing() if selected else None
        deleted, problems = [], []
        for server in selected.values():
            if self.check_mode:
                deleted.append(dict(scratch_view(server), cost=self._cost(server, pricing)))
                continue
            try:
                with doing(f"deleting scratch server {server['name']}"):
                    deleted.append(self._delete(shielded, server, pricing))
            except Exception as exc:  # pylint: disable=broad-exception-caught
                problems.append(failure_message(exc))
        cost = add_costs([entry["cost"] for entry in deleted])
        verb = "would delete" if self.check_mode else "deleted"
        msg = f"{verb} {len(deleted)} scratch server(s)" + (f": {', '.join(entry['name'] for entry in deleted)}" if deleted else "")
        if problems:
            message = f"{msg}; not deleted (the next drill tries again): {'; '.join(problems)}"
            raise TaskFailed(message, changed=bool(deleted), deleted=deleted, not_deleted=problems, cost=cost)
        return {"changed": bool(deleted), "deleted": deleted, "not_deleted": [], "cost": cost, "msg": msg}

    def _selected(self, servers: ScratchServers) -> list[dict]:
        found = []
        if self.options.run_id is not None:
            with doing(f"listing the scratch servers of run {self.options.run_id}"):
                found += servers.marked(run_selector(self.options.run_id, self._origin_id()))
        if self.options.leftovers != "none":
            with doing("listing the scratch servers earlier drills left behind"):
                others = servers.marked(leftover_selector(self.options.run_id))
            if self.options.leftovers == "expired":
                now = self.clock.now()
                others = [server for server in others if expired(server, now)]
            found += others
        return found

    def _origin_id(self) -> int | None:
        origin = self.options.origin
        if origin is None:
            return None
        if could_be_id(origin):
            return int(origin)
        with doing(f"reading server {origin}"):
            return int(self.api.server(origin)["id"])

    def _delete(self, servers: ScratchServers, server: dict, pricing: dict | None) -> dict:
        deadline = self._deadline(self.options.lock_timeout)
        servers.delete(server, deadline)
        return dict(scratch_view(server), cost=self._cost(server, pricing))

    def _cost(self, server: dict, pricing: dict | None) -> dict:
        existed = (self.clock.now() - parse_time(server["created"])).total_seconds()
        prices = type_prices(pricing, (server.get("server_type") or {}).get("name", ""), str(location_of(server)))
        return dict(billed_cost(existed, prices, (pricing or {}).get("currency")), seconds=round(max(0.0, existed), 1))
