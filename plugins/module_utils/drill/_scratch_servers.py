# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A restore drill's scratch servers on the API: create one (one server per request), wait until it runs, delete it.

- Create: ``POST /servers`` with a label unique to the request. When the answer is lost (a timeout, a dropped
  connection, a 5xx) the servers carrying that label are listed before anything else: found, the server is adopted;
  not found, the request was not applied and may be sent again (at most ``RESENDS`` times, within the deadline).
- Wait: the ``create_server`` and ``start_server`` actions until none runs (one that failed ends the wait), then the
  server until it is ``running``.
- Delete: only a server that carries the mark (``_scratch_marks.is_scratch``), never one with delete protection;
  first its running actions are waited for (a server being created is locked), then ``DELETE /servers/{id}``.
Every poll of a wait is paid from the run's ``RequestBudget`` and sleeps on the task's clock, so that a cancelled run
stops waiting at once.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import REQUEST_LABEL
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import PASSING_CODES, error_code, outcome_unknown
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_marks import is_scratch
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import StepFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import ActionFailed, WaitTimedOut, describe_actions
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Backoff, Clock, Deadline, create_retry_backoff, poll_backoff, sleep_within

# How many times a create request whose answer was lost (and that did not create anything) is sent again.
RESENDS = 3


class ScratchServers:
    """The API calls of a drill's scratch servers, its waits on ``clock`` within ``budget``."""

    def __init__(self, api: Any, clock: Clock, budget: RequestBudget) -> None:
        self.api = api
        self.clock = clock
        self.budget = budget

    def on_clock(self, clock: Clock) -> ScratchServers:
        """The same calls, waiting on another clock (the shielded one, for putting things back after a cancel)."""
        return ScratchServers(self.api, clock, self.budget)

    # reads ------------------------------------------------------------------------------------------------

    def server_types(self) -> list[dict]:
        """Every server type the API lists."""
        return self.api.get_all("/server_types", "server_types")

    def marked(self, selector: str) -> list[dict]:
        """The servers the label selector finds that carry the mark (the listing's word is checked on each)."""
        return [server for server in self.api.get_all("/servers", "servers", params={"label_selector": selector}) if is_scratch(server)]

    def by_request(self, request_id: str) -> dict | None:
        """The scratch server a create request with this request label made, if any."""
        return next(iter(self.marked(f"{REQUEST_LABEL}={request_id}")), None)

    def current(self, server_id: int) -> dict | None:
        """The server as it is now, or None once it is gone."""
        try:
            return self.api.current_server(server_id)
        except Exception as exc:
            if error_code(exc) == "not_found":
                return None
            raise

    # create -----------------------------------------------------------------------------------------------

    def create(self, body: dict, request_id: str, deadline: Deadline) -> tuple[dict, list[dict]]:
        """Create the server ``body`` describes (its labels carry ``request_id``); returns it and its actions."""
        backoff = create_retry_backoff()
        attempts = 0
        while True:
            self.clock.checkpoint()  # a cancelled run sends no (new) create request
            try:
                answer = self.api.client.request("POST", "/servers", json=body)
                return answer["server"], [answer["action"], *(answer.get("next_actions") or [])]
            except Exception as exc:
                unknown = outcome_unknown(exc)
                if not unknown and error_code(exc) not in PASSING_CODES:
                    raise
                attempts += 1
                if unknown:
                    found = self.by_request(request_id)
                    if found is not None:
                        return found, self.api.running_actions(found["id"])
                if attempts > RESENDS or not sleep_within(deadline, backoff.next_delay(), self.clock.sleep):
                    raise

    # wait -------------------------------------------------------------------------------------------------

    def wait_running(self, server: dict, actions: list[dict], deadline: Deadline) -> dict:
        """Wait for the server's create actions, then until it is ``running``; returns it as it is then."""
        backoff = poll_backoff()
        while True:
            failed = next((action for action in actions if action.get("status") == "error"), None)
            if failed is not None:
                raise ActionFailed(failed)
            running = [action for action in actions if action.get("status") == "running"]
            if not running:
                current = self.current(server["id"])
                if current is None:
                    raise StepFailed(f"scratch server {server['name']} was deleted while it was being created")
                server = current
                if server["status"] == "running":
                    return server
            what = describe_actions(running) if running else f"status {server['status']}"
            self._pause(backoff, deadline, f"scratch server {server['name']} was not running after {deadline.seconds:g} s ({what})")
            if running:
                fresh = {action["id"]: action for action in self.api.get("/actions", params={"id": [action["id"] for action in running]})["actions"]}
                actions = [fresh.get(action["id"], action) for action in actions]

    def _pause(self, backoff: Backoff, deadline: Deadline, timed_out: str) -> None:
        """Sleep until the next poll is due and the budget has a request for it; ``WaitTimedOut`` at the deadline."""
        delay = max(backoff.next_delay(), self.budget.seconds_until())
        if not sleep_within(deadline, delay, self.clock.sleep):
            raise WaitTimedOut(timed_out)
        self.budget.spend(1)

    # delete -----------------------------------------------------------------------------------------------

    def delete(self, server: dict, deadline: Deadline) -> bool:
        """Delete a scratch server once no action runs on it; False if it was already gone."""
        if not is_scratch(server):
            raise StepFailed(f"server {server['name']} does not carry the drill's mark: it is not a scratch server and is left alone")
        if (server.get("protection") or {}).get("delete"):
            raise StepFailed(f"scratch server {server['name']} has delete protection: it is left as it is; remove the protection and delete it yourself")
        backoff = poll_backoff()
        while True:
            try:
                running = self.api.running_actions(server["id"])
                if not running:
                    self.api.client.request("DELETE", f"/servers/{server['id']}")
                    return True
            except Exception as exc:
                code = error_code(exc)
                if code == "not_found":
                    return False
                if code != "locked" and not outcome_unknown(exc):
                    raise
                if outcome_unknown(exc) and self.current(server["id"]) is None:
                    return True  # the answer was lost, the server is gone: it was deleted
                running = []
            blocking = describe_actions(running) if running else "a lock"
            self._pause(backoff, deadline, f"scratch server {server['name']} was still locked by {blocking} after {deadline.seconds:g} s: not deleted")
