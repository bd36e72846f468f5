#!/usr/bin/python
# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot
short_description: Create and delete Hetzner Cloud server snapshots, idempotently and lock-aware
version_added: 0.1.0
description:
  - Creates a snapshot of a Hetzner Cloud server, or deletes snapshots of it, so that the task can be run again and again
    with the same result.
  - A snapshot is identified by its server, its O(labels), and either its O(description) or, with O(max_age), its age.
    When a matching snapshot is available nothing is done; when one is being created (by an earlier run, or by another
    client) it is adopted and waited for instead of a second one being made.
  - A server runs one action at a time. If another action (a backup, a resize, a previous snapshot) keeps the server
    locked, the module waits for it, skips the server, or fails, as O(on_locked) says.
  - The module never makes two snapshots for one identity, also when requests fail, time out or race with other clients,
    and rotation (O(keep)) deletes only snapshots this module created, never protected ones.
  - Every snapshot the module creates carries the label C(lockaware.hcloud/managed=true) and a label
    C(lockaware.hcloud/request) unique to the request that made it.
  - With O(from_backup=true) the snapshot is the server's newest automatic backup, turned into a snapshot of the series
    instead of a new one being made, with no action, no lock, no wait and no shutdown.
author:
  - lockaware.hcloud maintainers (@lockaware)
extends_documentation_fragment:
  - lockaware.hcloud.api
  - lockaware.hcloud.attributes
attributes:
  check_mode:
    description: Can run in check mode and return the changed status a real run would report, without modifying anything.
    support: full
  diff_mode:
    description: Shows the server's snapshots before and after the task (predicted in check mode); with O(servers), one diff per server.
    support: full
  idempotent:
    description: Running the task again with the same options changes nothing once a matching snapshot exists.
    support: partial
    details: Not idempotent with O(force=true), which creates a new snapshot every run.
options:
  server:
    description:
      - Name or ID of the server. A value is a server's name or, when it is all digits, a server's ID; a value that
        is the name of one server and the ID of another is refused, naming both. O(server=web1) does what
        O(servers=[web1]) does, and sends the same requests.
      - Exactly one of O(server) and O(servers) is required.
    type: str
  servers:
    description:
      - Names or IDs of several servers to snapshot in one task, at most O(concurrency) at a time, each with the other
        options. One task for a whole fleet costs one module process instead of one per server.
      - Each value is a name or ID as for O(server).
      - The result lists each server's outcome in RV(results). The task fails if any server failed, after trying all.
      - Exactly one of O(server) and O(servers) is required.
    type: list
    elements: str
  concurrency:
    description:
      - With O(servers), how many servers are worked on at the same time.
      - Most of a server's time is spent waiting (for a lock, for the snapshot), and the waits of all servers share
        their requests, so the default works on up to 256 servers at once and a fleet takes about as long as its
        slowest server. Lower it to spread the snapshots (and the load on the project's storage) over time.
    type: int
    default: 256
  progress_interval:
    description:
      - "With O(servers), while the servers are worked on, a line every O(progress_interval) seconds says where the fleet
        stands, at default verbosity, for example '12 of 200 done after 4m: 180 snapshots being made, 8 waiting for a lock
        (longest 4m)'. V(0) prints nothing."
      - Printed by the action plugin on the controller (in AWX, one job event per line); a task delegated to another
        host prints nothing.
    type: int
    default: 30
  poll_budget:
    description:
      - The share of the project's API rate limit that the task's waits may use together, as a number between 0 and 1.
        The waits are the polls of locks, of actions and of snapshots, and the resends of C(create_image) after a
        C(locked) answer (a lock the API may not list), of every server of the task (one module call).
      - The project's limit is read from the API's C(RateLimit-Limit) header (3600 requests an hour unless Hetzner
        raised it), so the default V(0.25) lets the waits spend 0.25 requests a second on such a project, whatever
        the actions' progress does, and leaves three quarters for everything else using the project (Terraform,
        the CLI, other jobs).
      - Several runs on one project at once (the slices of a sliced AWX job template, two playbooks) keep to one such
        budget together, without talking to each other. Each divides its share (and its bursts) by the crowd the
        API's C(RateLimit-Remaining) shows, the project's requests for each of its own; another client of the project
        counts in the crowd too, and is left more. With a token counted on its own, this holds per token.
      - The waits slow down further as C(RateLimit-Remaining) runs low (the last value seen plus the API's refill
        since), in proportion below half of the project's budget; below 5 % they only trickle, one request a minute
        on a 3600-an-hour project (a sixtieth of what the API refills), and they spend none when none is left, so
        they never cause a C(429). Short bursts (up to 20 requests, fewer as the budget runs low) are allowed, so
        that many snapshots ending at once are seen at once; one request polls up to 25 actions.
      - Creating, deleting and the first look at each server are not counted, being needed whatever the budget.
    type: float
    default: 0.25
  state:
    description:
      - V(present) makes sure a matching snapshot exists, V(absent) deletes the matching snapshots this collection created.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - The description of the snapshot, which is also its identity when O(max_age) is not set.
      - Defaults to C(<server name>-<UTC date YYYY-MM-DD>), so that a server gets at most one snapshot a day however
        often the task runs.
    type: str
  labels:
    description:
      - Labels set on a new snapshot. A matching snapshot must carry all of them.
      - Keys starting with C(hetzner.cloud/) or C(lockaware.hcloud/) are reserved.
    type: dict
    default: {}
  max_age:
    description:
      - Identify snapshots by age instead of description. Any snapshot of this server carrying O(labels) created within
        this age counts as present, for example V(23h), V(30m), V(1d12h) or a number of seconds; at most V(3650d) (ten years).
    type: str
  force:
    description:
      - Create a new snapshot on every run, whether or not a matching one exists. This is not idempotent.
    type: bool
    default: false
  on_locked:
    description:
      - What to do when the server is locked by a running action.
      - V(wait) waits for the actions to end, at most O(lock_timeout) seconds, then fails naming them.
      - V(skip) returns C(skipped=true) and C(changed=false) with a message naming the actions.
      - V(fail) fails at once, naming the actions.
      - A server the API answers C(locked) for while it lists no running action (this happens) is treated the same
        way. A C(create_image) that the API accepts and then ends with the error C(locked) made nothing; it is a
        lock too, and after it the task looks for a matching snapshot before it sends C(create_image) again.
    type: str
    choices: [wait, skip, fail]
    default: wait
  lock_timeout:
    description:
      - Seconds to wait for the server's running actions to end.
    type: int
    default: 600
  wait:
    description:
      - Wait until the snapshot is available.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the snapshot to become available (big disks take long).
      - The wait ends at once when the snapshot becomes anything but C(creating) or C(available) (C(unavailable) when its
        creation failed), with a message naming it. Such a snapshot is left as it is; it never matches, never counts
        for O(keep) and is never deleted.
    type: int
    default: 3600
  keep:
    description:
      - After the snapshot is available, keep only the newest O(keep) available snapshots of this server's series and
        delete the older ones.
      - The series is the snapshots of this server carrying the C(lockaware.hcloud/managed) label and all of O(labels).
        Protected snapshots, snapshots still being created, snapshots this collection did not create and snapshots of
        other series are never deleted.
      - O(keep=N) is the short form of O(retention.last=N) alone and deletes exactly what that deletes; setting both is
        an error.
      - Needs O(wait=true).
    type: int
  retention:
    description:
      - After the snapshot is available, keep the snapshots of this server's series that these rules pick and delete
        the others, as restic's and borg's C(--keep-*) options do. The series and the safety are those of O(keep),
        which is the short form of O(retention.last=N) alone; setting both is an error, reported before anything is done.
      - V(last) keeps the N newest snapshots. V(hourly), V(daily), V(weekly), V(monthly) and V(yearly) each keep,
        for each of the N newest hours (days, weeks, months, years) that have a snapshot of the series, the newest
        snapshot of that period. A period without a snapshot does not count, so O(retention.daily=7) keeps the newest
        snapshot of each of the 7 newest days that have one, however far back they reach.
      - Periods are in UTC, by each snapshot's C(created). Weeks are ISO weeks (Monday to Sunday, numbered within the
        ISO year, so that 2027-01-01 belongs to 2026-W53). Within a period the newest snapshot wins; of two created
        at the same second, the one with the higher ID.
      - A snapshot kept by any rule stays, and its reason lists every rule that keeps it. Only the snapshots no rule
        keeps are deleted. Unlike newer restic versions, the oldest snapshot is not kept in addition when a rule has
        fewer periods than it allows.
      - The new snapshot (this run's, or the one found or adopted) always counts as kept, and as the newest, so it fills
        the first place of every rule, when it is part of the series. A snapshot found or adopted that another client
        made (it lacks the C(lockaware.hcloud/managed) label) is not part of it; the series keeps its own rules beside
        it, so the server holds one snapshot more. Check mode, which cannot wait for an adopted snapshot, plans as if it
        were available, and so predicts what a real run deletes.
      - Protected snapshots fill their place like any available one (they are real, restorable snapshots) and are never
        deleted. Snapshots still being created or unavailable fill no place and
        are never deleted. Snapshots of other servers or series and snapshots this collection did not create are not
        part of the series.
      - Rotation happens only after the new snapshot is available. The result's RV(retention) lists every snapshot of
        the series with its fate and the rule behind it, and what the series costs; check mode shows the same plan
        without deleting, diff mode the series before and after. A deletion that fails stops rotation; the result
        then reports that snapshot and those not tried after it as kept, with the reason.
      - Every rule is a count of 0 or more (0, or left out, turns it off); at least one must be 1 or more.
      - Needs O(wait=true). Use M(lockaware.hcloud.snapshot_info) with O(lockaware.hcloud.snapshot_info#module:retention)
        to see what rules would keep before using them.
    type: dict
    suboptions:
      last:
        description: Keep the N newest snapshots.
        type: int
      hourly:
        description: Keep the newest snapshot of each of the N newest UTC hours that have one.
        type: int
      daily:
        description: Keep the newest snapshot of each of the N newest UTC days that have one.
        type: int
      weekly:
        description: Keep the newest snapshot of each of the N newest ISO weeks (UTC) that have one.
        type: int
      monthly:
        description: Keep the newest snapshot of each of the N newest UTC months that have one.
        type: int
      yearly:
        description: Keep the newest snapshot of each of the N newest UTC years that have one.
        type: int
  protect:
    description:
      - Enable delete protection on the new snapshot, once it is available. Needs O(wait=true).
    type: bool
    default: false
  shutdown:
    description:
      - Take a consistent snapshot, as Hetzner recommends. Shut the server down gracefully first, create the snapshot,
        then power the server on again if it was running, also when the snapshot fails.
      - Needs O(wait=true).
      - Right before the shutdown the server is labelled C(lockaware.hcloud/powered-off=<UTC time>) (for example
        C(20261202T033000Z)); right after the power-on the label is removed. Both are a C(PUT /servers/{id}) of the
        server's labels as read just before, with this one added or taken away; the server's other labels stay. While
        the label is there (during the shutdown, the snapshot and the power-on, a few minutes), Terraform or
        M(hetzner.hcloud.server) with O(hetzner.hcloud.server#module:labels) may see it as drift; a label they write
        back meanwhile removes it, and with it the protection described next.
      - A run that is cancelled (SIGINT, as Ctrl-C does; SIGTERM; SIGHUP) stops waiting, starts no new shutdown or
        snapshot, waits for the snapshot being made (the server is locked until it ends, at most O(lock_timeout)
        seconds), powers the server on again, removes the label, and fails. ansible-playbook waits for that after
        SIGINT; after SIGTERM it ends at once and its worker process finishes the power-on on its own.
      - A run that gets no chance (SIGKILL, which is how ansible-runner and AWX cancel a job, or a controller or an
        execution environment that dies) leaves the label. The next run of any task of this module on that server
        (alone, or among O(servers), whatever its options) that finds it off and labelled waits for its running
        actions as O(on_locked) and O(lock_timeout) say, powers it on, removes the label, and says so in RV(power),
        the message and a warning; check mode only says it would. A labelled server that is running only loses the
        label. A server that is off without the label (powered off by somebody else) stays off.
      - A label younger than O(shutdown_timeout) plus 60 seconds, on a server that is off with no action running and
        no snapshot made since, may be another run's between its shutdown and its snapshot; it is treated as a lock
        (O(on_locked)) until it ages, goes, or an action or a snapshot shows.
    type: bool
    default: false
  shutdown_timeout:
    description:
      - Seconds a graceful shutdown may take.
    type: int
    default: 300
  force_poweroff:
    description:
      - Power the server off hard when it has not shut down within O(shutdown_timeout). Otherwise the task fails and
        the server is left running.
    type: bool
    default: false
  include_unmanaged:
    description:
      - With O(state=absent), also delete matching snapshots this collection did not create.
    type: bool
    default: false
  from_backup:
    description:
      - When no snapshot matches, take the server's newest automatic backup as the snapshot instead of creating one,
        with C(PUT /images/{id}) with C(type=snapshot), the description (O(description), else C(<server name>-<the backup's UTC date>)) and the labels
        (O(labels), C(lockaware.hcloud/managed=true), C(lockaware.hcloud/server=<server ID>) and
        C(lockaware.hcloud/source=backup)) in one request. The API starts no action for it, so the server is not
        locked, nothing waits, and a server locked by another action still gets its snapshot at once.
      - The snapshot keeps the backup's C(created), outlives the server's seven backup slots (the slot is free for the
        next backup) and the server itself, and is a member of the series like any other, so a rerun finds it
        (unchanged), O(keep) and O(retention) rotate it, and the result's RV(source) says C(backup).
      - A backup is taken only when it is bound to this server (C(bound_to)), C(available), not protected, and recent
        enough for the identity, the newest of those; with O(max_age) created within that age, otherwise on the
        current UTC day (the day the default description names; a fixed O(description) is held to the same day). No
        other backup is ever changed.
      - The backups come from a listing (C(GET /images?type=backup), newest first, back to that time) shared by the
        servers of O(servers), so a fleet adds no request per server but the conversion.
      - A server without automatic backups, or without a fitting backup, gets what O(on_no_backup) says; so does one
        whose backup is deleted (by the API's slot rotation, by somebody) between the listing and the conversion.
      - Not with O(shutdown) (a backup is taken while the server runs, not the consistent snapshot O(shutdown) asks
        for) or O(force); only with O(state=present). Check mode names the backup it would convert and changes nothing.
      - Two runs at the same moment with different O(labels) (two tiers) on one server could both pick the same
        backup; the later conversion would then take the snapshot over into its own series. Run the tiers one after
        the other (two tasks of one play are).
    type: bool
    default: false
  on_no_backup:
    description:
      - With O(from_backup=true), what to do when the server has no backup to convert (backups are off, none is recent
        enough, available and unprotected, or it was deleted before the conversion).
      - V(create) creates a snapshot as without O(from_backup) (locks, O(on_locked), waiting included); the message
        says why no backup was converted.
      - V(skip) skips the server (C(skipped=true), C(changed=false), not failed), saying why.
    type: str
    choices: [create, skip]
    default: create
notes:
  - Polling uses a capped, jittered backoff from about 1 to 10 seconds, and honours the API's rate limit headers, so a
    long snapshot does not use up the project's request budget (3600 requests an hour).
  - In check mode nothing is written; the result says what would be done, and C(changed) is what a real run would report.
  - With O(on_locked=wait) in check mode, the module does not wait; it reports that it would.
  - The cost of a series (RV(retention.cost)) is the sum of its snapshots' C(image_size) times the project's price per GB
    and month, read from the API (C(GET /pricing), C(image.price_per_gb_month), net and gross, in the project's
    currency) once per task, whatever the number of servers. When the price cannot be read, rotation still runs and the
    cost says the price is unknown.
  - Every snapshot the module creates carries C(lockaware.hcloud/managed=true) and C(lockaware.hcloud/server=<server ID>);
    a server's series (what O(keep) and O(retention) rotate) is the one label-selected listing of the latter, read after the new
    snapshot is available. Snapshots made by version 0.1, without the server label, are the legacy part of their
    server's series, found by the managed label and their source server, counted by O(keep) and O(retention) like the
    others (the oldest going first), and never relabelled (no write) until rotation retires them. A snapshot made by hand
    (no managed label) is never counted or deleted.
  - The identity check reads snapshots newest first and stops at the first one older than the identity can be (the
    UTC day of the default description, or O(max_age)); a fixed O(description) without O(max_age) reads every snapshot
    carrying O(labels). A listing that spans several pages is read again until two reads agree, so that snapshots
    created or deleted meanwhile by other clients cannot make it skip one.
  - The new snapshot's status and size come from the series read that rotation makes anyway (with O(keep) or
    O(retention)); without rotation, with O(servers), the new snapshots of the servers whose actions end together are
    read together by their create requests' labels (50 to a request), paid from O(poll_budget); a single O(server) reads
    its own with C(GET /images/{id}).
  - With O(from_backup), a server whose snapshot matches reads no backup; the others share listings of the project's
    backups (C(GET /images?type=backup), never more of them than of the snapshot listings the task reads anyway; a
    single O(server) lists its own with C(bound_to)) and send one C(PUT /images/{id}) each. No C(create_image), no power
    action and no read of running actions is made for a server whose backup is converted.
seealso:
  - module: lockaware.hcloud.snapshot_info
"""

EXAMPLES = r"""
- name: Nightly snapshot, keeping the last 7
  lockaware.hcloud.snapshot:
    server: web1
    labels:
      schedule: nightly
    keep: 7

- name: Snapshot before an upgrade, unless one was taken in the last 12 hours
  lockaware.hcloud.snapshot:
    server: "{{ hcloud_name | default(inventory_hostname) }}"
    max_age: 12h
    labels:
      reason: pre-upgrade
  # No delegate_to: the task runs on the controller (the action plugin), whatever the host's connection.

- name: Skip servers that are busy with another action
  lockaware.hcloud.snapshot:
    server: db1
    on_locked: skip
  register: snap

- name: Nightly snapshot, keeping a week of dailies, a month of weeklies and a year of monthlies
  lockaware.hcloud.snapshot:
    server: web1
    labels:
      schedule: nightly
    retention:
      last: 2
      daily: 7
      weekly: 4
      monthly: 12
  register: nightly

- name: Show what stayed, what went and why, and what the series costs
  ansible.builtin.debug:
    msg: "{{ nightly.retention.snapshots | map(attribute='reason') + [nightly.retention.cost_line] }}"

- name: Consistent snapshot, shutting the server down first and powering it on again
  lockaware.hcloud.snapshot:
    server: db1
    description: db1-before-migration
    shutdown: true
    shutdown_timeout: 120
    protect: true

- name: Snapshot a whole fleet in one task
  lockaware.hcloud.snapshot:
    servers: "{{ query('lockaware.hcloud.servers', label_selector='backup=daily') | map(attribute='name') }}"
    keep: 7
  register: fleet

- name: Keep a weekly tier from the automatic backups (backups on), no lock and no downtime
  lockaware.hcloud.snapshot:
    servers: "{{ query('lockaware.hcloud.servers', label_selector='backup=daily') | map(attribute='name') }}"
    from_backup: true
    on_no_backup: skip
    max_age: 7d
    labels:
      tier: weekly
    retention:
      weekly: 8

- name: Delete the snapshot taken before the migration
  lockaware.hcloud.snapshot:
    server: db1
    description: db1-before-migration
    state: absent
"""

RETURN = r"""
outcome:
  description: What happened to the server, in one word.
  returned: always (with O(server))
  type: str
  choices: [created, converted, adopted, unchanged, skipped, deleted, failed]
  sample: created
source:
  description:
    - Where the snapshot in RV(snapshot) came from. V(backup) is an automatic backup converted into it (by this run,
      O(from_backup); or by an earlier one, which labelled it C(lockaware.hcloud/source=backup)); V(created) is one made
      by C(create_image) (also check mode's prediction); V(adopted) is one being created that this run adopted.
  returned: with RV(snapshot), or in check mode when a snapshot would be created
  type: str
  choices: [backup, created, adopted]
  sample: backup
results:
  description: With O(servers), each server's result (the keys of a single-server result, plus C(server), C(outcome) and C(seconds)).
  returned: with O(servers)
  type: list
  elements: dict
summary:
  description: With O(servers), how many servers had each outcome.
  returned: with O(servers)
  type: dict
  sample: {created: 4, converted: 2, adopted: 1, unchanged: 0, skipped: 1, deleted: 0, failed: 0}
failed_servers:
  description: With O(servers), the servers that failed.
  returned: with O(servers)
  type: list
  elements: str
snapshot:
  description: The snapshot that was created, adopted or found (absent when none, for example when skipped).
  returned: when a snapshot was created, adopted or found
  type: dict
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
action:
  description: The create_image action, when this run started it.
  returned: when a snapshot was created
  type: dict
  contains:
    id: {description: "ID of the action.", type: int, sample: 13}
    command: {description: "Always C(create_image).", type: str, sample: create_image}
    status: {description: "C(running), C(success) or C(error).", type: str, sample: success}
    progress: {description: "Progress in percent.", type: int, sample: 100}
    started: {description: "When the action started.", type: str, sample: "2026-11-23T13:00:00+00:00"}
    finished: {description: "When the action finished (null while running).", type: str, sample: "2026-11-23T13:01:00+00:00"}
adopted:
  description: Whether a matching snapshot that was being created was adopted instead of creating a new one.
  returned: always
  type: bool
  sample: false
skipped:
  description: Whether the server was skipped because it was locked and O(on_locked=skip).
  returned: always
  type: bool
  sample: false
lock:
  description: What the module saw of the server's lock.
  returned: always
  type: dict
  contains:
    waited: {description: "Seconds spent waiting for the server's running actions to end.", type: float, sample: 12.5}
    actions:
      description: The blocking actions seen (C(id), C(command), C(started), C(progress), C(status)).
      type: list
      elements: dict
      sample: [{id: 12, command: rebuild, started: "2026-11-23T13:00:00+00:00", progress: 40, status: running}]
retention:
  description:
    - With O(keep) or O(retention), when the series was rotated, the rules, every snapshot of the series with its
      fate and the rule behind it, and what the series costs. In check mode, the plan a real run would carry out.
  returned: when the series was rotated (with O(server); with O(servers), in each of RV(results))
  type: dict
  contains:
    rules:
      description: Every rule with its count (0 for a rule not set); O(keep=N) shows as C(last=N).
      type: dict
      sample: {last: 2, hourly: 0, daily: 7, weekly: 4, monthly: 12, yearly: 0}
    snapshots:
      description:
        - Every snapshot of the series, newest first (the new one first), with C(id), C(description), C(created),
          C(image_size), C(status), C(fate) (C(kept) or C(deleted)) and C(reason).
        - "C(reason) is C(kept:) and the rules that keep it (C(last 1), C(daily 2026-11-30), C(weekly 2026-W48),
          C(monthly 2026-10), C(yearly 2025)), and C(new snapshot), C(protected), C(creating) or C(unavailable) where
          they apply; or C(deleted: beyond the rules)."
        - In check mode, the snapshot a run would create has C(id) null.
      type: list
      elements: dict
      sample:
        - {id: 4711, description: web1-2026-11-30, fate: kept, reason: "kept: new snapshot, last 1, daily 2026-11-30, monthly 2026-11"}
        - {id: 4702, description: web1-2026-10-31, fate: kept, reason: "kept: monthly 2026-10"}
        - {id: 4650, description: web1-2026-06-30, fate: deleted, reason: "deleted: beyond the rules"}
    cost:
      description:
        - What the kept and the removed snapshots are billed, from their C(image_size) and the API's price.
        - C(kept) and C(removed) each have C(count), C(unsized) (snapshots without a size yet, which add nothing),
          C(size_gb), C(monthly_net) and C(monthly_gross) (decimal strings; null when the price is unknown).
        - C(price_per_gb_month) (C(net), C(gross)) and C(currency) are the API's; C(price_unknown) says why they are
          null, when GET /pricing could not be read.
        - "For a server with automatic backups, C(backups): what they cost a month, C(percentage) (the API's
          C(server_backup.percentage), 20) of the server type's monthly price in its location, both from GET /pricing:
          C(server_type), C(location), C(percentage), C(monthly_net), C(monthly_gross), C(currency) and
          C(price_unknown) (why the amounts are null, when they are)."
      type: dict
      sample:
        kept: {count: 9, unsized: 0, size_gb: "20.700", monthly_net: "0.2463", monthly_gross: "0.2931"}
        removed: {count: 3, unsized: 0, size_gb: "6.900", monthly_net: "0.0821", monthly_gross: "0.0977"}
        price_per_gb_month: {net: "0.0119000000", gross: "0.0141610000"}
        currency: EUR
        price_unknown: null
    cost_line:
      description: The cost in one line.
      type: str
      sample: >-
        kept 9 snapshots (20.700 GB): 0.2463 EUR a month net, 0.2931 gross; removed 3 snapshots (6.900 GB):
        0.0821 EUR a month net saved; at 0.0119 EUR per GB and month net (0.014161 gross)
retention_summary:
  description:
    - With O(servers) and O(keep) or O(retention), the totals of the servers whose series were rotated.
    - C(servers), C(kept) and C(removed) (as in RV(retention.cost)), C(deleted) (how many snapshots rotation
      deleted, or would delete in check mode), C(price_per_gb_month), C(currency), C(price_unknown) and C(cost_line).
    - C(backups), when some of those servers have automatic backups, with C(servers) (how many), C(monthly_net),
      C(monthly_gross), C(currency) and C(price_unknown).
  returned: with O(servers), when some series was rotated
  type: dict
  sample:
    servers: 2
    kept: {count: 18, unsized: 0, size_gb: "41.400", monthly_net: "0.4927", monthly_gross: "0.5863"}
    removed: {count: 6, unsized: 0, size_gb: "13.800", monthly_net: "0.1642", monthly_gross: "0.1954"}
    deleted: 6
    currency: EUR
deleted:
  description: Snapshots deleted by rotation (O(keep), O(retention)) or by O(state=absent), in the same shape as RV(snapshot).
  returned: always
  type: list
  elements: dict
power:
  description:
    - What O(shutdown) did, and what the task did about a server an interrupted run of this module had left off
      (labelled C(lockaware.hcloud/powered-off), see O(shutdown)).
  returned: when O(shutdown=true), or when the server was left off by an interrupted run
  type: dict
  contains:
    initial_status: {description: "Server status before the task.", type: str, sample: running}
    shut_down: {description: "Whether the server was shut down gracefully.", type: bool, sample: true}
    powered_off: {description: "Whether it had to be powered off hard.", type: bool, sample: false}
    powered_on: {description: "Whether it was powered on again.", type: bool, sample: true}
    recovered:
      description: Whether the server had been left off by an interrupted run of this module and was powered on (in check mode, would be).
      type: bool
      sample: false
    left_off_since:
      description: When the interrupted run labelled the server (the label's value, UTC), if it had.
      type: str
      sample: 20261202T033000Z
"""

import functools

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import ClientConfigError, api_argument_spec
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet import FleetRun
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import RULES
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._module_main import module_main
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption, targets
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK


def argument_spec():
    """Options of the module: the only place their defaults are written down."""
    return dict(
        api_argument_spec(),
        server={"type": "str"},
        servers={"type": "list", "elements": "str"},
        concurrency={"type": "int", "default": 256},
        poll_budget={"type": "float", "default": 0.25},
        progress_interval={"type": "int", "default": 30},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        description={"type": "str"},
        labels={"type": "dict", "default": {}},
        max_age={"type": "str"},
        force={"type": "bool", "default": False},
        on_locked={"type": "str", "choices": ["wait", "skip", "fail"], "default": "wait"},
        lock_timeout={"type": "int", "default": 600},
        wait={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 3600},
        keep={"type": "int"},
        retention={"type": "dict", "options": {rule: {"type": "int"} for rule in RULES}},
        protect={"type": "bool", "default": False},
        shutdown={"type": "bool", "default": False},
        shutdown_timeout={"type": "int", "default": 300},
        force_poweroff={"type": "bool", "default": False},
        include_unmanaged={"type": "bool", "default": False},
        from_backup={"type": "bool", "default": False},
        on_no_backup={"type": "str", "choices": ["create", "skip"], "default": "create"},
    )


def argument_rules():
    """How the options combine (keyword arguments of ``AnsibleModule``, also used by the action plugin)."""
    return {"required_one_of": [("server", "servers")], "mutually_exclusive": [("server", "servers")]}


def run(params, check_mode=False, clock=SYSTEM_CLOCK, report=None):
    """Check every option, connect, then run the task for the servers: ``server`` is a fleet of one.

    ``clock`` is what every wait runs on: ``_cancel.cancel_on_signals()`` gives one that SIGINT and SIGTERM cancel.
    ``report``, if given, gets a line on the fleet's progress every ``progress_interval`` seconds (with ``servers``).
    """
    try:
        options = SnapshotOptions.from_params(params)  # every option checked (``_validation.check_snapshot_params``)
        connect = functools.partial(HcloudApi.connect, params["api_token"], params["api_endpoint"], params["request_timeout"])
        fleet = FleetRun(
            connect,
            options,
            targets(params),
            params["concurrency"],
            check_mode=check_mode,
            clock=clock,
            poll_budget=params["poll_budget"],
            report=report if params["servers"] is not None else None,
            progress_interval=params["progress_interval"],
        )
    except (InvalidOption, ClientConfigError) as exc:
        raise TaskFailed(str(exc)) from exc
    if params["servers"] is None:
        return fleet.run_one()
    result = fleet.run()
    if result["failed_servers"]:
        raise TaskFailed(result.pop("msg"), **result)
    return result


def main():
    """Build the module, run the task, report."""
    module_main(argument_spec(), run, argument_rules())


if __name__ == "__main__":
    main()
