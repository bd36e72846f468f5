#!/usr/bin/python
# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot_info
short_description: List Hetzner Cloud server snapshots
version_added: 0.1.0
description:
  - Lists the snapshots of a Hetzner Cloud project that are being created or available, newest first, in the same shape
    as M(lockaware.hcloud.snapshot) returns them.
  - With O(retention) (or O(keep)), also shows what M(lockaware.hcloud.snapshot) with these rules would keep and delete
    of the server's series, and what that costs, without changing anything, as a planning tool for choosing the rules.
author:
  - lockaware.hcloud maintainers (@lockaware)
extends_documentation_fragment:
  - lockaware.hcloud.api
  - lockaware.hcloud.attributes
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is nothing to show.
    support: N/A
  idempotent:
    description: Reads only.
    support: full
options:
  server:
    description:
      - Only snapshots created from this server (name or ID, as for the O(lockaware.hcloud.snapshot#module:server) option of
        M(lockaware.hcloud.snapshot)).
    type: str
  labels:
    description:
      - Only snapshots carrying all of these labels.
    type: dict
    default: {}
  description:
    description:
      - Only snapshots with exactly this description.
    type: str
  managed_only:
    description:
      - Only snapshots created by this collection (label C(lockaware.hcloud/managed=true)).
    type: bool
    default: false
  retention:
    description:
      - Show in RV(retention) what M(lockaware.hcloud.snapshot) with O(lockaware.hcloud.snapshot#module:retention) set to
        these rules would keep and delete of the series of O(server) (its snapshots made by this collection that carry
        all of O(labels)), and what the kept and the removed snapshots cost a month. Nothing is deleted or changed.
      - The rules and their meaning are those of M(lockaware.hcloud.snapshot) (see its O(lockaware.hcloud.snapshot#module:retention)).
        The plan is for the series as it is now; a run that creates a snapshot adds it as the newest, where it takes the
        first place of every rule.
      - Needs O(server). O(keep=N) is the short form of O(retention.last=N) alone; setting both is an error.
    type: dict
    suboptions:
      last: {description: Keep the N newest snapshots., type: int}
      hourly: {description: Keep the newest snapshot of each of the N newest UTC hours that have one., type: int}
      daily: {description: Keep the newest snapshot of each of the N newest UTC days that have one., type: int}
      weekly: {description: Keep the newest snapshot of each of the N newest ISO weeks (UTC) that have one., type: int}
      monthly: {description: Keep the newest snapshot of each of the N newest UTC months that have one., type: int}
      yearly: {description: Keep the newest snapshot of each of the N newest UTC years that have one., type: int}
  keep:
    description:
      - The short form of O(retention.last=N) alone.
    type: int
seealso:
  - module: lockaware.hcloud.snapshot
"""

EXAMPLES = r"""
- name: The snapshots of web1 made by this collection
  lockaware.hcloud.snapshot_info:
    server: web1
    managed_only: true
  register: result

- name: Show the newest one
  ansible.builtin.debug:
    msg: "{{ result.snapshots[0].description if result.snapshots else 'none' }}"

- name: What would a week of dailies and a year of monthlies keep of web1's nightly series, and what would it cost?
  lockaware.hcloud.snapshot_info:
    server: web1
    labels:
      schedule: nightly
    retention:
      daily: 7
      monthly: 12
  register: plan

- name: Show the plan
  ansible.builtin.debug:
    msg: "{{ plan.retention.snapshots | map(attribute='reason') + [plan.retention.cost_line] }}"
"""

RETURN = r"""
snapshots:
  description: The snapshots, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: "ID of the image.", type: int, sample: 4711}
    description: {description: "Description of the snapshot.", type: str, sample: web1-2026-11-23}
    type: {description: "Always C(snapshot).", type: str, sample: snapshot}
    status: {description: "C(available) or C(creating).", type: str, sample: available}
    labels: {description: "Labels of the snapshot.", type: dict, sample: {lockaware.hcloud/managed: "true"}}
    created: {description: "When the snapshot was created (ISO 8601).", type: str, sample: "2026-11-23T13:00:00+00:00"}
    image_size: {description: "Size of the snapshot in GB (null while it is being created).", type: float, sample: 2.3}
    disk_size: {description: "Size of the server's disk in GB.", type: float, sample: 40}
    created_from: {description: "The server the snapshot was made from (C(id), C(name)).", type: dict, sample: {id: 42, name: web1}}
    protection: {description: "Protection (C(delete)).", type: dict, sample: {delete: false}}
retention:
  description:
    - With O(retention) or O(keep), what M(lockaware.hcloud.snapshot) would keep and delete of the series of O(server) now,
      in the shape of its RV(lockaware.hcloud.snapshot#module:retention) result (C(rules), C(snapshots) with C(fate) and
      C(reason), C(cost), C(cost_line)).
  returned: with O(retention) or O(keep)
  type: dict
  sample:
    rules: {last: 0, hourly: 0, daily: 7, weekly: 0, monthly: 12, yearly: 0}
    snapshots:
      - {id: 4711, description: web1-2026-11-30, fate: kept, reason: "kept: daily 2026-11-30, monthly 2026-11"}
      - {id: 4650, description: web1-2026-06-30, fate: deleted, reason: "deleted: beyond the rules"}
    cost_line: "kept 1 snapshot (2.300 GB): 0.0274 EUR a month net, 0.0326 gross; ..."
"""


from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import ClientConfigError, api_argument_spec
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import LIVE_STATUSES, has_labels, is_managed, label_selector, newest_first
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._series import plan_series, read_series
from ansible_collections.lockaware.hcloud.plugins.module_utils.report._retention_report import retention_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.report._views import snapshot_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import read_price
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import RULES
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._module_main import module_main
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption, check_info_params, check_labels


def argument_spec():
    """Options of the module: the only place their defaults are written down."""
    return dict(
        api_argument_spec(),
        server={"type": "str"},
        labels={"type": "dict", "default": {}},
        description={"type": "str"},
        managed_only={"type": "bool", "default": False},
        retention={"type": "dict", "options": {rule: {"type": "int"} for rule in RULES}},
        keep={"type": "int"},
    )


class SnapshotLister:
    """Reads the snapshots the options select."""

    def __init__(self, api, params):
        self.api = api
        self.params = params

    def _fetch(self):
        labels = check_labels(self.params["labels"])
        server_id = self.api.server(self.params["server"])["id"] if self.params["server"] else None
        images = self.api.snapshots(label_selector(labels))
        return [image for image in images if self._selected(image, server_id, labels)]

    def _selected(self, image, server_id, labels):
        return (
            image.get("status") in LIVE_STATUSES
            and has_labels(image, labels)
            and (server_id is None or (image.get("created_from") or {}).get("id") == server_id)
            and (self.params["description"] is None or image.get("description") == self.params["description"])
            and (not self.params["managed_only"] or is_managed(image))
        )

    def list(self):
        """The selected snapshots, newest first, in the module's result shape."""
        return [snapshot_view(image) for image in newest_first(self._fetch())]


def retention_plan(api, params, rules):
    """What ``lockaware.hcloud.snapshot`` with these rules would keep and delete of the server's series now: reads only."""
    labels = check_labels(params["labels"])
    server_id = api.server(params["server"])["id"]
    listing = read_series(api, server_id, labels)  # the legacy part (made by 0.1) included, as rotation counts it
    planned = plan_series(listing, server_id, labels, rules)
    return retention_view(rules, planned.plan, planned.series, read_price(api))


def run(params):
    """Connect and list (and plan, with retention); returns the result without ``changed``; raises ``TaskFailed``."""
    try:
        rules = check_info_params(params)  # every option checked, before any request
        api = HcloudApi.connect(params["api_token"], params["api_endpoint"], params["request_timeout"])
        result = {"snapshots": SnapshotLister(api, params).list()}
        if rules is not None:
            result["retention"] = retention_plan(api, params, rules)
        return result
    except (InvalidOption, ClientConfigError) as exc:
        raise TaskFailed(str(exc)) from exc
    except Exception as exc:
        failed = TaskFailed.of(exc, "listing snapshots")
        if failed is exc:
            raise
        raise failed from exc


def main():
    """Build the module, list, report."""
    module_main(argument_spec(), lambda params, _check_mode, _clock: {"changed": False, **run(params)})


if __name__ == "__main__":
    main()
