# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for a snapshot taken from the server's newest automatic backup (``from_backup``), against the fake API.

The fake's clock stands at 2026-11-23 12:00 UTC: a backup made "ago(hours=10)" is from 02:00 today, one made
"ago(hours=14)" from 22:00 yesterday.
"""

from __future__ import annotations

import datetime

import pytest
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet import FleetRun
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_task_api import FleetTaskApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._shared_reads import SharedReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._from_backup import SOURCE_LABEL, backup_since, pick_backup, unfit_reason
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import (
    NOW,
    FakeApi,
    FakeClock,
    FakeRateLimit,
    FakeTransport,
    PlannedFailure,
    make_action,
    make_backup,
    make_image,
    make_server,
)

TODAY = "web1-2026-11-23"
SERIES = {"tier": "weekly"}
WITH_BACKUPS = make_server(42, "web1", backup_window="02-06")
WITHOUT_BACKUPS = make_server(42, "web1")
SPEC_DEFAULTS = {name: spec.get("default") for name, spec in argument_spec().items()}


def params(**given):
    return dict(dict(SPEC_DEFAULTS, api_token="t", server="web1", from_backup=True), **given)


def ago(**kwargs):
    return NOW - datetime.timedelta(**kwargs)


def api_error(code, message="boom"):
    return APIException(code=code, message=message, details=None, correlation_id="abc")


@pytest.fixture(name="clock")
def clock_fixture():
    return FakeClock()


@pytest.fixture(name="run")
def run_fixture(clock):
    def runner(api, check_mode=False, **given):
        return SnapshotTask(api, SnapshotOptions.from_params(params(**given)), check_mode=check_mode, clock=clock).run()

    return runner


def project(clock, *images, server=None):
    """web1 (backups on, unless another ``server`` is given) and db1 (backups on), with these images."""
    return FakeApi(servers=[server or WITH_BACKUPS, make_server(7, "db1", backup_window="22-02")], images=images, now=clock.now)


# choosing the backup ------------------------------------------------------------------------------------------


def test_the_newest_available_unprotected_backup_of_the_server_within_the_window_is_picked():
    since = ago(hours=12)
    backups = [
        make_backup(1, created=ago(hours=1), status="creating"),
        make_backup(2, created=ago(hours=2), protected=True),
        make_backup(3, server_id=7, created=ago(hours=3)),
        make_image(4, created=ago(hours=4)),  # a snapshot, not a backup
        make_backup(5, created=ago(hours=5), status="unavailable"),
        make_backup(6, created=ago(hours=6)),
        make_backup(7, created=ago(hours=8)),
        make_backup(8, created=ago(hours=13)),
    ]
    assert pick_backup(backups, 42, since)["id"] == 6
    assert [unfit_reason(backup, 42, since) for backup in backups] == [
        "creating",
        "protected",
        "not a backup of this server",
        "not a backup of this server",
        "unavailable",
        None,
        None,
        "too old",
    ]
    assert pick_backup(backups[:5] + backups[7:], 42, since) is None


def test_the_window_is_max_age_or_else_the_current_utc_day():
    assert backup_since(SnapshotOptions.from_params(params(max_age="7d")), NOW) == ago(days=7)
    assert backup_since(SnapshotOptions.from_params(params()), NOW) == datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
    assert backup_since(SnapshotOptions.from_params(params(description="fixed")), NOW) == datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"shutdown": True}, "from_backup and shutdown contradict each other"),
        ({"force": True}, "from_backup and force contradict each other"),
        ({"state": "absent"}, "from_backup only applies to state=present"),
        ({"from_backup": False, "on_no_backup": "skip"}, "on_no_backup only applies with from_backup=true"),
    ],
)
def test_combinations_that_cannot_work_are_refused_before_any_request(given, fragment):
    with pytest.raises(InvalidOption) as raised:
        SnapshotOptions.from_params(dict(params(), **given))
    assert fragment in str(raised.value)


# converting -------------------------------------------------------------------------------------------------


def test_the_newest_backup_of_today_becomes_the_snapshot_in_one_request_without_a_lock(clock, run):
    api = project(clock, make_backup(1, created=ago(hours=34)), make_backup(2, created=ago(hours=10)), make_backup(3, server_id=7, created=ago(hours=9)))
    api.running = [[make_action(77, command="rebuild")]]  # the server is locked: converting needs no lock
    result = run(api, labels=SERIES)
    assert (result["outcome"], result["changed"], result["source"]) == ("converted", True, "backup")
    labels = {"tier": "weekly", "lockaware.hcloud/managed": "true", "lockaware.hcloud/server": "42", SOURCE_LABEL: "backup"}
    assert api.writes == [("convert_backup", 2, TODAY, labels)]
    assert api.calls_to("running_actions") == [] and clock.slept == 0
    converted = api.images[2]
    assert (converted["type"], converted["bound_to"], converted["description"], converted["created"]) == ("snapshot", None, TODAY, ago(hours=10).isoformat())
    assert (api.images[1]["type"], api.images[3]["type"]) == ("backup", "backup")  # nothing else touched
    assert result["snapshot"]["id"] == 2 and result["lock"]["waited"] == 0
    assert result["msg"].startswith(f"converted automatic backup 2 (web1-20261123020000, created {ago(hours=10).isoformat()}) of server web1")
    assert result["diff"]["after"]["snapshots"] == [f"2: {TODAY} (available)"]


def test_a_rerun_finds_the_converted_snapshot_and_changes_nothing(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=10)))
    run(api, labels=SERIES)
    calls = len(api.calls)
    again = run(api, labels=SERIES)
    assert (again["outcome"], again["changed"], again["source"], again["snapshot"]["id"]) == ("unchanged", False, "backup", 2)
    assert [call for call in api.calls[calls:] if call[0] in ("convert_backup", "backups", "create_snapshot")] == []


def test_check_mode_names_the_backup_it_would_convert_and_writes_nothing(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=10)))
    result = run(api, check_mode=True, keep=2)
    assert (result["outcome"], result["changed"], result["source"]) == ("converted", True, "backup")
    assert result["msg"].startswith("would convert automatic backup 2 ")
    assert api.writes == [] and api.images[2]["type"] == "backup"
    assert [entry["id"] for entry in result["retention"]["snapshots"]] == [2]


def test_max_age_takes_an_older_backup_and_the_default_day_does_not(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=14)))
    converted = run(api, max_age="1d")
    assert (converted["outcome"], converted["snapshot"]["description"]) == ("converted", "web1-2026-11-22")  # the day it was taken
    api = project(clock, make_backup(2, created=ago(hours=14)))
    result = run(api, on_no_backup="skip")
    assert (result["outcome"], result["skipped"], result["changed"]) == ("skipped", True, False)
    assert result["msg"] == "skipped server web1: server web1 has no available, unprotected automatic backup created since 2026-11-23T00:00:00+00:00"
    assert api.writes == [] and api.images[2]["type"] == "backup"


def test_a_protected_or_unfinished_backup_is_never_converted_and_the_skip_says_why(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=10), protected=True), make_backup(3, created=ago(hours=1), status="creating"))
    result = run(api, on_no_backup="skip")
    assert result["outcome"] == "skipped"
    assert result["msg"] == (
        "skipped server web1: server web1 has no available, unprotected automatic backup created since 2026-11-23T00:00:00+00:00 "
        "(seen: 3 creating, 2 protected)"
    )
    assert api.writes == []


def test_without_backups_enabled_the_default_creates_a_snapshot_and_says_why(clock, run):
    api = project(clock, server=WITHOUT_BACKUPS)
    result = run(api)
    assert (result["outcome"], result["source"]) == ("created", "created")
    assert [call[0] for call in api.writes] == ["create_snapshot"]
    assert result["msg"].endswith("; no backup to convert: server web1 has no automatic backups (backups are not enabled)")
    assert api.calls_to("backups") == []  # nothing to list when the server has no backups


def test_without_backups_enabled_skip_skips_without_a_request(clock, run):
    api = project(clock, server=WITHOUT_BACKUPS)
    result = run(api, on_no_backup="skip")
    assert (result["outcome"], result["skipped"], result["changed"]) == ("skipped", True, False)
    assert result["msg"] == "skipped server web1: server web1 has no automatic backups (backups are not enabled)"
    assert api.writes == [] and api.calls_to("backups") == []


@pytest.mark.parametrize(
    ("on_no_backup", "outcome", "writes"), [("create", "created", ["convert_backup", "create_snapshot"]), ("skip", "skipped", ["convert_backup"])]
)
def test_a_backup_deleted_between_listing_and_conversion_falls_back_as_chosen(clock, run, on_no_backup, outcome, writes):
    api = project(clock, make_backup(2, created=ago(hours=10)))
    api.convert_failures[2] = PlannedFailure(api_error("not_found"), meanwhile=lambda fake: fake.images.pop(2))
    result = run(api, on_no_backup=on_no_backup)
    assert result["outcome"] == outcome
    assert [call[0] for call in api.writes] == writes
    assert "automatic backup 2 of server web1 was deleted before it could be converted" in result["msg"]


def test_a_lost_answer_to_an_applied_conversion_is_settled_by_reading_the_image(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=10)))
    api.convert_failures[2] = PlannedFailure(api_error("server_error"), applied=True)
    result = run(api)
    assert (result["outcome"], result["snapshot"]["id"]) == ("converted", 2)
    assert [call[0] for call in api.writes] == ["convert_backup"] and api.calls_to("image") == [(2,)]


def test_a_conversion_that_failed_without_effect_fails_naming_the_backup_and_creates_nothing(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=10)))
    api.convert_failures[2] = PlannedFailure(api_error("server_error"))
    with pytest.raises(TaskFailed) as raised:
        run(api)
    assert raised.value.msg.startswith("converting automatic backup 2 of server web1 into a snapshot: boom (server_error)")
    assert [call[0] for call in api.writes] == ["convert_backup"] and api.images[2]["type"] == "backup"


def test_the_snapshot_quota_fails_the_task_with_its_hint(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=10)))
    api.convert_failures[2] = PlannedFailure(api_error("resource_limit_exceeded", "snapshot limit exceeded"))
    with pytest.raises(TaskFailed) as raised:
        run(api)
    assert "the project's snapshot quota is reached" in raised.value.msg
    assert api.calls_to("create_snapshot") == []


def test_protect_protects_the_converted_snapshot(clock, run):
    api = project(clock, make_backup(2, created=ago(hours=10)))
    result = run(api, protect=True)
    assert result["snapshot"]["protection"] == {"delete": True}
    assert [call[0] for call in api.writes] == ["convert_backup", "protect_image"]


# rotation and cost ------------------------------------------------------------------------------------------


def test_the_converted_snapshot_is_rotated_as_the_newest_of_its_series_and_the_backups_are_priced(clock, run):
    old = [
        make_image(10 + day, description=f"web1-week-{day}", created=ago(days=7 * day), labels=dict(SERIES, **{"lockaware.hcloud/server": "42"}), managed=True)
        for day in (1, 2, 3)
    ]
    api = project(clock, *old, make_backup(2, created=ago(hours=10)))
    api.prices.update(
        server_backup={"percentage": "20.00"},
        server_types=[{"name": "cx22", "prices": [{"location": "fsn1", "price_monthly": {"net": "4.5100000000", "gross": "5.3669000000"}}]}],
    )
    result = run(api, labels=SERIES, max_age="6d", keep=2)
    assert [call[:2] for call in api.writes] == [("convert_backup", 2), ("delete_image", 12), ("delete_image", 13)]
    retention = result["retention"]
    assert [(entry["id"], entry["fate"]) for entry in retention["snapshots"]] == [(2, "kept"), (11, "kept"), (12, "deleted"), (13, "deleted")]
    assert retention["cost"]["backups"] == {
        "server_type": "cx22",
        "location": "fsn1",
        "percentage": "20.00",
        "monthly_net": "0.9020",
        "monthly_gross": "1.0734",
        "currency": "EUR",
        "price_unknown": None,
    }
    assert retention["cost_line"].endswith("; backups: 20% of cx22 in fsn1, 0.9020 EUR a month net, 1.0734 gross")


def test_a_server_without_backups_has_no_backup_cost_and_an_unknown_price_says_why(clock, run):
    api = project(clock, server=WITHOUT_BACKUPS)
    assert "backups" not in run(api, keep=2)["retention"]["cost"]
    api = project(clock, make_backup(2, created=ago(hours=10)))  # the fake's prices have no server types
    cost = run(api, keep=2)["retention"]["cost"]
    assert (
        cost["backups"]["price_unknown"]
        == "the backups' price is unknown: server_backup.percentage is None, not a price: expected a decimal string such as '0.0119'"
    )
    assert cost["backups"]["monthly_net"] is None


# a fleet ----------------------------------------------------------------------------------------------------


def test_a_mixed_fleet_converts_from_one_listing_of_backups_and_creates_only_where_backups_are_off(clock):
    servers = [make_server(1, "web1", backup_window="02-06"), make_server(2, "web2", backup_window="02-06"), make_server(3, "db1")]
    backups = [make_backup(11, server_id=1, created=ago(hours=10)), make_backup(12, server_id=2, created=ago(hours=9), server_name="web2")]
    fake = FakeApi(servers=servers, images=backups, now=clock.now)
    transports = []

    def connect():
        transports.append(FakeTransport(fake))
        return HcloudApi(transports[-1], FakeRateLimit(), clock=clock)

    names = ["web1", "web2", "db1"]
    result = FleetRun(connect, SnapshotOptions.from_params(params(server=None, servers=names)), names, concurrency=3, clock=clock).run()
    assert [(entry["server"], entry["outcome"], entry.get("source")) for entry in result["results"]] == [
        ("web1", "converted", "backup"),
        ("web2", "converted", "backup"),
        ("db1", "created", "created"),
    ]
    assert result["msg"] == "1 created, 2 converted of 3 servers"
    requests = [call for transport in transports for call in transport.calls]
    # The backups come from listings of the project's backups (no bound_to: nothing read per server), never more of them
    # than listings of snapshots: how many tasks one listing serves depends on how the threads interleave.
    backup_listings = [params for method, path, params in requests if path == "/images" and params.get("type") == "backup"]
    listings = [params for method, path, params in requests if path == "/images" and params.get("type") == "snapshot"]
    new_snapshot_reads = [params for params in listings if "lockaware.hcloud/request in (" in params.get("label_selector", "")]
    snapshot_listings = [params for params in listings if params not in new_snapshot_reads]
    assert backup_listings and all(listing == {"type": "backup", "sort": ["created:desc", "id:asc"], "page": 1, "per_page": 50} for listing in backup_listings)
    assert len(backup_listings) <= len(snapshot_listings) < len(names) + 1
    assert len(new_snapshot_reads) == 1  # the one created snapshot, read by its request's label once its action ended
    writes = [(method, path) for method, path, _params in requests if method != "GET"]
    assert sorted(writes) == [("POST", "/servers/3/actions/create_image"), ("PUT", "/images/11"), ("PUT", "/images/12")]
    per_server_reads = [path for method, path, _params in requests if method == "GET" and path.startswith(("/servers/1", "/servers/2", "/images/1"))]
    assert per_server_reads == []
    assert (fake.images[11]["type"], fake.images[12]["type"]) == ("snapshot", "snapshot")


def test_a_listing_of_backups_serves_every_task_whose_snapshot_listing_began_before_it(clock):
    fake = FakeApi(servers=[WITH_BACKUPS, make_server(7, "db1", backup_window="22-02")], images=[make_backup(1), make_backup(2, server_id=7)], now=clock.now)
    transport = FakeTransport(fake)
    shared = SharedReads(HcloudApi(transport, FakeRateLimit(), clock=clock), RequestBudget(clock=clock), clock)
    first, second, later = (FleetTaskApi(HcloudApi(FakeTransport(fake), FakeRateLimit(), clock=clock), shared) for _task in range(3))
    first.snapshots(None)
    second.snapshots(None)
    assert [image["id"] for image in first.backups(42)] == [1]
    assert [image["id"] for image in second.backups(7)] == [2]  # its snapshot listing began no later: the same listing
    clock.sleep(5)  # a task that starts later (concurrency below the fleet's size) plans from a later snapshot listing
    later.snapshots(None)
    later.backups(42)
    backup_reads = [params for _method, path, params in transport.calls if path == "/images" and params.get("type") == "backup"]
    snapshot_reads = [params for _method, path, params in transport.calls if path == "/images" and params.get("type") == "snapshot"]
    assert len(backup_reads) == 2 and len(snapshot_reads) == 3
