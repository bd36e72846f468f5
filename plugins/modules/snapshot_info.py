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
author:
  - lockaware.hcloud maintainers (@lockaware)
extends_documentation_fragment:
  - lockaware.hcloud.api
  - lockaware.hcloud.attributes.INFO_MODULE
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
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lockaware.hcloud.plugins.module_utils._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils._client import HCLOUD_IMPORT_ERROR, MISSING_HCLOUD_MESSAGE, ClientConfigError, api_argument_spec
from ansible_collections.lockaware.hcloud.plugins.module_utils._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils._matching import LIVE_STATUSES, has_labels, is_managed, label_selector, newest_first
from ansible_collections.lockaware.hcloud.plugins.module_utils._validation import InvalidOption, check_labels
from ansible_collections.lockaware.hcloud.plugins.module_utils._views import snapshot_view


def argument_spec():
    """Options of the module: the only place their defaults are written down."""
    return dict(
        api_argument_spec(),
        server={"type": "str"},
        labels={"type": "dict", "default": {}},
        description={"type": "str"},
        managed_only={"type": "bool", "default": False},
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


def run(params):
    """Connect and list; raises ``TaskFailed``."""
    try:
        api = HcloudApi.connect(params["api_token"], params["api_endpoint"], params["request_timeout"])
        return SnapshotLister(api, params).list()
    except (InvalidOption, ClientConfigError) as exc:
        raise TaskFailed(str(exc)) from exc
    except Exception as exc:
        failed = TaskFailed.of(exc, "listing snapshots")
        if failed is exc:
            raise
        raise failed from exc


def main():
    """Build the module, list, report."""
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if HCLOUD_IMPORT_ERROR:
        module.fail_json(msg=MISSING_HCLOUD_MESSAGE, exception=HCLOUD_IMPORT_ERROR)
    try:
        snapshots = run(module.params)
    except TaskFailed as failed:
        module.fail_json(**failed.result())
    module.exit_json(changed=False, snapshots=snapshots)


if __name__ == "__main__":
    main()
