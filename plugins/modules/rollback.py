#!/usr/bin/python
# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollback
short_description: Restore a Hetzner Cloud server from one of its snapshots, safely, once, and lock-aware
version_added: 0.2.0
description:
  - Puts a server back to one of its snapshots with Hetzner's rebuild (C(POST /servers/{id}/actions/rebuild)), which
    overwrites the server's disk. The server keeps its ID, its addresses and its labels; B(everything written on its disk
    since the snapshot was made is lost), and the result and check mode say so, with the snapshot's time and age.
  - The snapshot is given by O(snapshot_id) (for example the C(snapshot.id) a M(lockaware.hcloud.snapshot) task
    registered before a change), or it is the newest C(available) snapshot of a series, chosen by O(labels) and
    O(description), the identity M(lockaware.hcloud.snapshot) gives its snapshots.
  - Safe by default. Refused before anything is changed, each with a message saying what to do, are an image made from
    another server (or from none; unless O(allow_foreign_image=true)), an image that is not a snapshot or a backup, an
    image that is not C(available), an image of another architecture or whose disk is bigger than the server's, and a
    server with rebuild protection (the module never turns protection off). A snapshot's delete protection does not
    matter, the module reads images and never changes, protects or deletes one.
  - Lock-aware as M(lockaware.hcloud.snapshot) is. A server busy with another action (the change that failed may have
    left one running) is waited for, skipped, or failed, as O(on_locked) says.
  - One rebuild per request. The library's own retries are off. Before sending, the module notes the server's newest
    action; when the answer is lost (a timeout, a dropped connection, a 5xx), it reads the server's actions
    (C(GET /servers/{id}/actions)) and a C(rebuild_server) action newer than the note is its own request, applied;
    it waits for that one and never sends a second. Only when none is there is the request sent again.
  - A rerun does not restore again. The module recognises a restore by two facts the API keeps, without labelling
    anything. The server's C(image) (the image it was created or last rebuilt from) is the chosen snapshot, and its
    newest C(rebuild_server) action succeeded (after O(change_began), when given). Then the server was restored from it,
    by an earlier run or by hand, and nothing is done (C(changed=false)), unless O(force=true). When that action is still running, the module waits for
    it instead of sending another. A server created from the snapshot and never rebuilt since, or whose last rebuild
    failed, is restored.
  - The server ends in the power state it had before (O(power_state=previous)), or the one asked for. A server that
    is to run is waited for until its status is C(running); the result says how long the task took.
author:
  - lockaware.hcloud maintainers (@lockaware)
extends_documentation_fragment:
  - lockaware.hcloud.api
  - lockaware.hcloud.attributes
options:
  server:
    description:
      - Name or ID of the server to restore (a value that is all digits is an ID; one that is the name of one server
        and the ID of another is refused, naming both).
    type: str
    required: true
  snapshot_id:
    description:
      - ID of the image to restore, for example C({{ snap.snapshot.id }}) of a registered M(lockaware.hcloud.snapshot) task.
      - Not with O(labels) or O(description). One of O(snapshot_id), O(labels) and O(description) is required.
    type: int
  labels:
    description:
      - Restore the newest C(available) snapshot of the server carrying all of these labels (and O(description), if set).
      - The labels a M(lockaware.hcloud.snapshot) task set on its snapshots select its series.
    type: dict
  description:
    description:
      - Restore the newest C(available) snapshot of the server with exactly this description (and all of O(labels)).
    type: str
  allow_foreign_image:
    description:
      - Allow an image that was not made from this server (another server's snapshot or backup, or one whose server no
        longer exists). Without it such an image is refused before anything is changed.
      - With O(labels) or O(description), the series then spans every server's snapshots.
    type: bool
    default: false
  force:
    description:
      - Restore even when the server was already restored from this snapshot (see the description). Everything
        written since that restore is lost. Not idempotent.
    type: bool
    default: false
  power_state:
    description:
      - The power state the server ends in. V(previous) is the one it had before the task (C(running) for a server
        that was running or on its way to it, C(off) otherwise). V(running) waits until the server runs. V(off) powers
        it off after the rebuild (the rebuild starts it) and waits until it is off.
    type: str
    choices: [previous, running, "off"]
    default: previous
  on_locked:
    description:
      - What to do when the server is locked by a running action. V(wait) waits, at most O(lock_timeout) seconds,
        then fails naming the actions; V(skip) returns C(outcome=skipped), C(changed=false); V(fail) fails at once.
      - A C(locked) answer to the rebuild itself (a lock the API did not list) is handled the same way.
    type: str
    choices: [wait, skip, fail]
    default: wait
  lock_timeout:
    description:
      - Seconds to wait for the server's running actions to end.
    type: int
    default: 600
  wait_timeout:
    description:
      - Seconds to wait for the rebuild and for the server to reach its power state (big snapshots take long to
        restore, 40 to 60 minutes were reported for 20 to 30 GB).
    type: int
    default: 3600
  change_began:
    description:
      - When the change that is being undone began (ISO 8601, for example V(2026-12-07T08:00:00+00:00); without a zone,
        UTC). A restore from the snapshot whose C(rebuild_server) action started before this time does not count as
        done; the change may have written on the server after it, so the server is restored again.
      - A rollback in a C(rescue) section needs it when the play may run again. The snapshot module finds the
        morning's snapshot again on a rerun the same day, the change runs again, and without O(change_began) the
        rollback would find the server already restored from that snapshot and keep what the second attempt wrote.
        The role C(lockaware.hcloud.snapshot_host) passes it (its rollback entry), taken right after its snapshot.
      - Compared with the API's action times; keep the controller's clock in time (NTP).
    type: str
attributes:
  check_mode:
    description: Sends no write request; says what a real run would restore and what it would lose, with the C(changed) a real run reports.
    support: full
  diff_mode:
    description: Shows the server's image and status before and after (predicted in check mode).
    support: full
  idempotent:
    description: A rerun after a completed restore changes nothing.
    support: partial
    details: Not idempotent with O(force=true), which restores on every run.
notes:
  - Everything written on the server's disk since the snapshot is lost; volumes are not part of a snapshot and are not
    touched. The snapshot itself is left as it is.
  - A run that is cancelled (SIGINT, SIGTERM) stops waiting and sends nothing new; a rebuild already sent goes on at
    Hetzner, and the next run waits for it (it recognises it) instead of sending another.
  - A rebuild that fails ends the task with the action's error; the server is left as the API left it, and a rerun
    tries again (a failed rebuild is not a restore).
seealso:
  - module: lockaware.hcloud.snapshot
  - module: lockaware.hcloud.snapshot_info
"""

EXAMPLES = r"""
- name: Snapshot, change, and put the server back if the change fails
  block:
    - name: Snapshot before the upgrade
      lockaware.hcloud.snapshot:
        server: web1
        description: web1-before-upgrade
      register: before_upgrade

    - name: Upgrade
      ansible.builtin.command: /usr/local/bin/upgrade-app
      changed_when: true
  rescue:
    - name: Restore the snapshot taken before the upgrade
      lockaware.hcloud.rollback:
        server: web1
        snapshot_id: "{{ before_upgrade.snapshot.id }}"

    - name: Fail the host with the upgrade's error
      ansible.builtin.fail:
        msg: "the upgrade failed and web1 was restored: {{ ansible_failed_result.msg | default('') }}"

- name: What would be lost by going back to the newest pre-upgrade snapshot
  lockaware.hcloud.rollback:
    server: db1
    labels:
      reason: pre-upgrade
  check_mode: true
  register: plan

- name: Say it
  ansible.builtin.debug:
    msg: "{{ plan.msg }}"
"""

RETURN = r"""
outcome:
  description:
    - What happened, in one word. C(restored) (in check mode, would be); C(adopted), a restore from the snapshot was
      running and was waited for; C(unchanged), restored already; C(skipped), locked and O(on_locked=skip).
  returned: always
  type: str
  sample: restored
msg:
  description: What was done, and what was lost.
  returned: always
  type: str
  sample: >-
    restored server web1 from snapshot 500010 (web1-before-upgrade): everything written on web1 since 2026-12-07
    02:00 UTC, 6 h ago is gone; the server is running, after 41 s
snapshot:
  description: The image restored (or that would be), in the shape M(lockaware.hcloud.snapshot) returns it.
  returned: when an image was chosen
  type: dict
  sample: {id: 500010, description: web1-before-upgrade, type: snapshot, status: available, created_from: {id: 42, name: web1}}
lost:
  description: What the restore overwrites (or would) - everything written on the server since the snapshot was made.
  returned: when an image was chosen
  type: dict
  contains:
    since: {description: "When the snapshot was made (ISO 8601, UTC).", type: str, sample: "2026-12-07T02:00:00+00:00"}
    age_seconds: {description: "How long ago that is, in seconds.", type: int, sample: 21600}
    text: {description: "The same in words.", type: str, sample: "everything written on web1 since 2026-12-07 02:00 UTC, 6 h ago"}
server:
  description: The server as read last (C(id), C(name), C(status), and C(image) - C(id), C(type), C(description) - it was created or last rebuilt from).
  returned: when the server was found
  type: dict
  sample: {id: 42, name: web1, status: running, image: {id: 500010, type: snapshot, description: web1-before-upgrade}}
power:
  description:
    - The server's status before the task (C(before)), the state it was to end in (C(target), C(running) or C(off)),
      and its status at the end (C(after), null when nothing was done).
  returned: when the server was found
  type: dict
  sample: {before: running, target: running, after: running}
action:
  description: The C(rebuild_server) action this run started or waited for (C(id), C(command), C(status), C(progress), C(started), C(finished)).
  returned: when a rebuild was started or waited for
  type: dict
recovered:
  description: Whether the answer to the rebuild request was lost and the request was found applied among the server's actions (and so not sent again).
  returned: always
  type: bool
  sample: false
seconds:
  description: How long the task took, in seconds.
  returned: always
  type: float
  sample: 41.2
lock:
  description: What the module saw of the server's lock (C(waited) seconds, C(actions)), as M(lockaware.hcloud.snapshot) returns it.
  returned: always
  type: dict
"""


from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import ClientConfigError, api_argument_spec
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_options import RollbackOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_task import RestoreTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._module_main import module_main
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK


def argument_spec():
    """Options of the module: the only place their defaults are written down."""
    return dict(
        api_argument_spec(),
        server={"type": "str", "required": True},
        snapshot_id={"type": "int"},
        labels={"type": "dict"},
        description={"type": "str"},
        allow_foreign_image={"type": "bool", "default": False},
        force={"type": "bool", "default": False},
        power_state={"type": "str", "choices": ["previous", "running", "off"], "default": "previous"},
        on_locked={"type": "str", "choices": ["wait", "skip", "fail"], "default": "wait"},
        lock_timeout={"type": "int", "default": 600},
        wait_timeout={"type": "int", "default": 3600},
        change_began={"type": "str"},
    )


def argument_rules():
    """How the options combine (keyword arguments of ``AnsibleModule``, also used by the action plugin)."""
    return {"mutually_exclusive": [("snapshot_id", "labels"), ("snapshot_id", "description")]}


def run(params, check_mode=False, clock=SYSTEM_CLOCK):
    """Check every option, connect, restore; returns the result, raises ``TaskFailed``."""
    try:
        options = RollbackOptions.from_params(params)
        api = HcloudApi.connect(params["api_token"], params["api_endpoint"], params["request_timeout"], clock=clock)
    except (InvalidOption, ClientConfigError) as exc:
        raise TaskFailed(str(exc)) from exc
    return RestoreTask(api, options, check_mode, clock).run()


def main():
    """Build the module, run the task, report."""
    module_main(argument_spec(), run, argument_rules())


if __name__ == "__main__":
    main()
