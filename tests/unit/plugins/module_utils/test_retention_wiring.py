# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for retention in the product: the option, the rotation it drives, the result, check and diff mode,
the price (read once per run, a failure tolerated), the fleet's totals and snapshot_info's planning.

The history is fixed (the fake's clock stands at 2026-11-23 12:00 UTC), so every fate is computed by hand.
"""

from __future__ import annotations

import datetime

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet import FleetRun
from ansible_collections.lockaware.hcloud.plugins.module_utils.report._retention_report import retention_summary
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import read_price
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption
from ansible_collections.lockaware.hcloud.plugins.modules import snapshot, snapshot_info
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, FakeApi, FakeClock, make_image, make_server
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.test_fleet import Connections

SERIES = {"schedule": "nightly"}
SERVER_LABEL = "lockaware.hcloud/server"
RULES = {"last": 1, "daily": 3, "monthly": 3}
ALL_RULES = {"last": 1, "hourly": 0, "daily": 3, "weekly": 0, "monthly": 3, "yearly": 0}
DAYS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 40, 70, 100)
# NOW is 2026-11-23: the dailies are the new one, 11-22 and 11-21; the monthlies the new one (2026-11),
# day 40 (2026-10-14, the newest of October) and day 70 (2026-09-14). Day 200 is protected: it stays.
KEPT = {101: "kept: daily 2026-11-22", 102: "kept: daily 2026-11-21", 140: "kept: monthly 2026-10", 170: "kept: monthly 2026-09", 500: "kept: protected"}
DELETED = {103, 104, 105, 106, 107, 108, 109, 110, 200}
SPEC_DEFAULTS = {name: spec.get("default") for name, spec in snapshot.argument_spec().items()}


def params(**given):
    return dict(SPEC_DEFAULTS, api_token="test-token", api_endpoint="https://api.example.test/v1", server="web1", labels=SERIES) | given


def history(server_id=42, name="web1", base=100):
    labels = dict(SERIES, **{SERVER_LABEL: str(server_id)})

    def member(image_id, days, **kwargs):
        created = NOW - datetime.timedelta(days=days)
        return make_image(image_id, server_id=server_id, server_name=name, description=f"{name}-{created:%Y-%m-%d}", created=created, managed=True, **kwargs)

    return [
        *(member(base + days, days, labels=labels) for days in DAYS),
        member(base + 400, 200, labels=labels, protected=True),
        make_image(base + 500, server_id=server_id, server_name=name, description="by hand", labels=SERIES, created=NOW - datetime.timedelta(days=300)),
    ]


@pytest.fixture(name="clock")
def clock_fixture():
    return FakeClock()


def run_task(api, clock, check_mode=False, **given):
    return SnapshotTask(api, SnapshotOptions.from_params(params(**given)), check_mode=check_mode, clock=clock).run()


def fates(result):
    return {entry["id"]: entry["reason"] for entry in result["retention"]["snapshots"]}


def api_error(code, message="boom"):
    return APIException(code=code, message=message, details=None, correlation_id="abc")


# the option -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"keep": 3, "retention": {"last": 3}}, "keep and retention are both set: keep: N is the short form of retention: {last: N}"),
        ({"retention": {"daily": 7}, "wait": False}, "retention needs wait=true"),
        ({"retention": {"daily": 7}, "state": "absent"}, "retention only applies to state=present"),
        ({"retention": {"daily": 0, "weekly": None}}, "retention keeps nothing"),
        ({"retention": {"daily": -1}}, "retention.daily must be 0 or more"),
        ({"keep": -2}, "keep must be 1 or more (the new snapshot counts), got -2"),
    ],
)
def test_bad_retention_is_refused_before_anything_is_done(given, message):
    with pytest.raises(InvalidOption) as raised:
        SnapshotOptions.from_params(params(**given))
    assert message in str(raised.value)


def test_the_module_refuses_keep_with_retention_before_connecting(monkeypatch):
    def no_connection(*_args, **_kwargs):
        raise AssertionError("connected although the options were wrong")

    monkeypatch.setattr(snapshot.HcloudApi, "connect", no_connection)
    with pytest.raises(TaskFailed) as raised:
        snapshot.run(params(keep=3, retention={"daily": 7}))
    assert raised.value.msg.startswith("keep and retention are both set")


def test_the_argument_spec_knows_the_rules_and_nothing_else():
    validator = ArgumentSpecValidator(snapshot.argument_spec(), **snapshot.argument_rules())
    good = validator.validate({"server": "web1", "api_token": "t", "retention": {"daily": "7", "monthly": 12}})
    assert good.error_messages == []
    assert good.validated_parameters["retention"] == {"last": None, "hourly": None, "daily": 7, "weekly": None, "monthly": 12, "yearly": None}
    bad = validator.validate({"server": "web1", "api_token": "t", "retention": {"dayly": 7}})
    assert "dayly" in bad.errors.msg


def test_keep_is_the_rule_last():
    assert SnapshotOptions.from_params(params(keep=3)).retention == {"last": 3, "hourly": 0, "daily": 0, "weekly": 0, "monthly": 0, "yearly": 0}
    assert SnapshotOptions.from_params(params()).retention is None


# rotation and the result ----------------------------------------------------------------------------------


def test_retention_deletes_what_no_rule_keeps_and_explains_every_snapshot(clock):
    api = FakeApi(images=history(), now=clock.now)
    result = run_task(api, clock, retention=RULES)
    new_id = result["snapshot"]["id"]
    assert {call[0] for call in api.calls_to("delete_image")} == DELETED
    assert {image["id"] for image in result["deleted"]} == DELETED
    assert set(api.images) == {new_id, *KEPT, 600}  # the hand-made one is not part of the series
    retention = result["retention"]
    assert retention["rules"] == ALL_RULES
    assert retention["snapshots"][0]["id"] == new_id
    assert retention["snapshots"][0]["reason"] == "kept: new snapshot, last 1, daily 2026-11-23, monthly 2026-11"
    assert fates(result) == {new_id: retention["snapshots"][0]["reason"], **KEPT, **dict.fromkeys(DELETED, "deleted: beyond the rules")}
    assert {entry["fate"] for entry in retention["snapshots"] if entry["id"] in DELETED} == {"deleted"}
    assert set(retention["snapshots"][1]) == {"id", "description", "created", "image_size", "status", "fate", "reason"}
    assert "by the retention rules (last 1, daily 3, monthly 3)" in result["msg"]


def test_the_cost_comes_from_the_api_price(clock):
    api = FakeApi(images=history(), now=clock.now)
    cost = run_task(api, clock, retention=RULES)["retention"]["cost"]
    # 6 kept and 9 removed, each 1.5 GB; 0.0119 EUR net, 0.014161 gross per GB and month
    assert cost["kept"] == {"count": 6, "unsized": 0, "size_gb": "9.000", "monthly_net": "0.1071", "monthly_gross": "0.1274"}
    assert cost["removed"] == {"count": 9, "unsized": 0, "size_gb": "13.500", "monthly_net": "0.1607", "monthly_gross": "0.1912"}
    assert cost["price_per_gb_month"] == {"net": "0.0119000000", "gross": "0.0141610000"}
    assert cost["currency"] == "EUR"
    assert cost["price_unknown"] is None
    assert api.calls_to("pricing") == [()]


def test_the_cost_line_says_it_in_one_line(clock):
    api = FakeApi(images=history(), now=clock.now)
    line = run_task(api, clock, retention=RULES)["retention"]["cost_line"]
    assert line == (
        "kept 6 snapshots (9.000 GB): 0.1071 EUR a month net, 0.1274 gross; removed 9 snapshots (13.500 GB): 0.1607 EUR a month net saved; "
        "at 0.0119 EUR per GB and month net (0.014161 gross)"
    )


@pytest.mark.parametrize(
    "failure", [api_error("server_error", "internal error"), {"currency": "EUR"}, {"currency": "EUR", "image": {"price_per_gb_month": {"net": "x"}}}]
)
def test_without_a_price_rotation_still_runs_and_the_cost_says_the_price_is_unknown(clock, failure):
    api = FakeApi(images=history(), now=clock.now)
    if isinstance(failure, Exception):
        api.pricing_failure = failure
    else:
        api.prices = failure
    result = run_task(api, clock, retention=RULES)
    cost = result["retention"]["cost"]
    assert {image["id"] for image in result["deleted"]} == DELETED
    assert cost["price_unknown"].startswith("the price is unknown: GET /pricing failed (")
    assert cost["price_per_gb_month"] is None and cost["currency"] is None
    assert cost["kept"] == {"count": 6, "unsized": 0, "size_gb": "9.000", "monthly_net": None, "monthly_gross": None}
    assert result["retention"]["cost_line"].endswith(cost["price_unknown"])
    assert "EUR" not in result["retention"]["cost_line"]


def test_an_api_error_names_its_code():
    api = FakeApi()
    api.pricing_failure = api_error("server_error", "internal error")
    assert read_price(api).problem == "the price is unknown: GET /pricing failed (server_error: internal error)"


def test_keep_reports_its_plan_too_with_the_keep_wording(clock):
    api = FakeApi(images=history(), now=clock.now)
    result = run_task(api, clock, keep=3)
    assert result["retention"]["rules"]["last"] == 3
    assert [entry["reason"] for entry in result["retention"]["snapshots"][:3]] == ["kept: new snapshot, last 1", "kept: last 2", "kept: last 3"]
    assert result["msg"].endswith("to keep 3")


def test_a_snapshot_protected_since_it_was_listed_is_shown_kept(clock):
    api = FakeApi(images=history(), now=clock.now)
    api.delete_failures = {103: api_error("protected", "image is protected")}
    result = run_task(api, clock, retention=RULES)
    assert fates(result)[103] == "kept: protected since it was listed"
    assert result["retention"]["cost"]["removed"]["count"] == 8


def test_no_retention_result_without_rules_or_when_skipped(clock):
    api = FakeApi(images=history(), now=clock.now)
    assert "retention" not in run_task(api, clock)
    api = FakeApi(images=history(), now=clock.now)
    api.running = [[{"id": 70, "command": "rebuild", "status": "running", "progress": 0, "started": NOW.isoformat(), "resources": []}]]
    result = run_task(api, clock, retention=RULES, on_locked="skip")
    assert result["skipped"] and "retention" not in result and api.calls_to("pricing") == []


# check mode and diff --------------------------------------------------------------------------------------


def test_check_mode_shows_the_same_plan_and_deletes_nothing(clock):
    checked_api = FakeApi(images=history(), now=clock.now)
    checked = run_task(checked_api, clock, check_mode=True, retention=RULES)
    assert checked_api.writes == []
    real = run_task(FakeApi(images=history(), now=clock.now), clock, retention=RULES)
    assert checked["retention"]["snapshots"][0]["id"] is None  # the snapshot a run would create has no ID yet
    assert checked["retention"]["snapshots"][0]["reason"] == real["retention"]["snapshots"][0]["reason"]
    assert [(entry["fate"], entry["reason"]) for entry in checked["retention"]["snapshots"]] == [
        (entry["fate"], entry["reason"]) for entry in real["retention"]["snapshots"]
    ]
    assert {image["id"] for image in checked["deleted"]} == DELETED
    # the prediction has no size yet: it counts, unsized
    assert checked["retention"]["cost"]["kept"]["unsized"] == 1
    assert checked["retention"]["cost"]["removed"] == real["retention"]["cost"]["removed"]


def test_diff_before_is_the_series_without_the_new_snapshot_and_after_has_it(clock):
    api = FakeApi(images=history(), now=clock.now)
    result = run_task(api, clock, retention=RULES)
    new_id = result["snapshot"]["id"]
    before = [line.split(":")[0] for line in result["diff"]["before"]["snapshots"]]
    after = [line.split(":")[0] for line in result["diff"]["after"]["snapshots"]]
    assert str(new_id) not in before
    assert set(before) == {str(image_id) for image_id in [*KEPT, *DELETED]}  # the series (the hand-made one is not in it)
    assert set(after) == {str(image_id) for image_id in [*KEPT, new_id]}


def test_diff_in_check_mode_adds_the_predicted_snapshot_after(clock):
    api = FakeApi(images=history(), now=clock.now)
    result = run_task(api, clock, check_mode=True, retention=RULES)
    after = result["diff"]["after"]["snapshots"]
    assert after[-1].startswith("(new): web1-2026-11-23")
    assert not any(line.startswith("(new)") for line in result["diff"]["before"]["snapshots"])
    assert {line.split(":")[0] for line in after} == {str(image_id) for image_id in KEPT} | {"(new)"}


# the fleet ------------------------------------------------------------------------------------------------


def fleet_project(clock):
    servers = [make_server(1, "web1"), make_server(2, "web2"), make_server(3, "db1")]
    images = [*history(1, "web1", 1000), *history(2, "web2", 2000), *history(3, "db1", 3000)]
    return FakeApi(servers=servers, images=images, now=clock.now)


def run_fleet(fake, clock, check_mode=False, **given):
    connections = Connections(fake, clock)
    names = ["web1", "web2", "db1"]
    options = SnapshotOptions.from_params(params(servers=names, server=None, **given))
    return FleetRun(connections, options, names, concurrency=3, check_mode=check_mode, clock=clock).run(), connections


def test_a_fleet_reads_the_price_once_and_sums_the_costs(clock):
    fake = fleet_project(clock)
    result, connections = run_fleet(fake, clock, retention=RULES)
    assert [path for method, path, _params in connections.requests if path == "/pricing"] == ["/pricing"]
    summary = result["retention_summary"]
    assert summary["servers"] == 3
    assert summary["kept"] == {"count": 18, "unsized": 0, "size_gb": "27.000", "monthly_net": "0.3213", "monthly_gross": "0.3822"}
    assert summary["removed"] == {"count": 27, "unsized": 0, "size_gb": "40.500", "monthly_net": "0.4821", "monthly_gross": "0.5736"}
    assert summary["deleted"] == 27
    assert summary["currency"] == "EUR" and summary["price_unknown"] is None
    assert summary["cost_line"].startswith("3 servers: kept 18 snapshots (27.000 GB): 0.3213 EUR a month net")
    assert all(entry["retention"]["rules"] == ALL_RULES for entry in result["results"])


def test_a_fleet_whose_price_read_fails_reads_it_once_and_says_so(clock):
    fake = fleet_project(clock)
    fake.pricing_failure = api_error("forbidden", "no prices for this token")
    result, _connections = run_fleet(fake, clock, retention=RULES)
    assert fake.calls_to("pricing") == [()]
    assert result["retention_summary"]["price_unknown"].startswith("the price is unknown")
    assert result["retention_summary"]["kept"]["monthly_net"] is None
    assert result["retention_summary"]["kept"]["size_gb"] == "27.000"


def test_a_fleet_without_rules_has_no_summary_and_reads_no_price(clock):
    fake = fleet_project(clock)
    result, connections = run_fleet(fake, clock)
    assert "retention_summary" not in result
    assert all(path != "/pricing" for _method, path, _params in connections.requests)


def test_the_summary_of_no_rotation_is_none():
    assert retention_summary([{"outcome": "skipped"}]) is None


# snapshot_info: planning ----------------------------------------------------------------------------------


def info_params(**given):
    defaults = {name: spec.get("default") for name, spec in snapshot_info.argument_spec().items()}
    return dict(defaults, api_token="t", api_endpoint="https://api.example.test/v1", server="web1", labels=SERIES) | given


def test_snapshot_info_plans_without_writing(monkeypatch):
    fake = FakeApi(images=history())
    monkeypatch.setattr(snapshot_info.HcloudApi, "connect", lambda *_args, **_kwargs: fake)
    result = snapshot_info.run(info_params(retention=RULES))
    assert fake.writes == []
    plan = {entry["id"]: entry["reason"] for entry in result["retention"]["snapshots"]}
    # Without a new snapshot, day 1 is the newest: last 1, and the dailies are days 1 to 3.
    assert plan[101] == "kept: last 1, daily 2026-11-22, monthly 2026-11"
    assert plan[103] == "kept: daily 2026-11-20"
    assert plan[104] == "deleted: beyond the rules"
    assert plan[140] == "kept: monthly 2026-10"
    assert 600 not in plan
    assert result["retention"]["cost"]["removed"]["count"] == len(plan) - 6
    assert [image["id"] for image in result["snapshots"]][:2] == [101, 102]


def test_snapshot_info_without_rules_lists_only(monkeypatch):
    fake = FakeApi(images=history())
    monkeypatch.setattr(snapshot_info.HcloudApi, "connect", lambda *_args, **_kwargs: fake)
    result = snapshot_info.run(info_params())
    assert "retention" not in result
    assert fake.calls_to("pricing") == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"keep": 2, "retention": {"daily": 2}}, "keep and retention are both set"),
        ({"server": None, "retention": {"daily": 2}}, "retention needs server"),
        ({"retention": {"daily": 0}}, "retention keeps nothing"),
    ],
)
def test_snapshot_info_refuses_bad_rules(monkeypatch, given, message):
    monkeypatch.setattr(snapshot_info.HcloudApi, "connect", lambda *_args, **_kwargs: FakeApi(images=history()))
    with pytest.raises(TaskFailed) as raised:
        snapshot_info.run(info_params(**given))
    assert message in raised.value.msg
