# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several projects in one fleet run: the list checked, each project's outcome, the one summary."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lockaware.hcloud.plugins.filter.fleet_projects import FilterModule
from ansible_collections.lockaware.hcloud.plugins.plugin_utils.fleet_projects import (
    DEFAULT_ENDPOINT,
    ProjectsError,
    checked_projects,
    lookup_message,
    project_outcome,
    projects_summary,
)

TOKEN = "project-token-0123456789abcdef"


def project(name="prod", **keys):
    return {"name": name, "api_token": TOKEN, **keys}


def run_result(summary, failed=(), results=3, cost=None, msg="done"):
    """What a fleet task registers (``fleet_run``)."""
    run = {"summary": {"created": 0, "converted": 0, "adopted": 0, "unchanged": 0, "skipped": 0, "deleted": 0, "failed": 0, **summary}}
    run.update(results=[{}] * results, failed_servers=list(failed), msg=msg)
    if cost:
        run["retention_summary"] = {"currency": cost[2], "price_unknown": None, "kept": {"monthly_net": cost[0], "monthly_gross": cost[1]}, "deleted": 2}
    return run


def test_projects_get_their_defaults_and_lose_their_tokens():
    checked = checked_projects(
        [project(), project("staging", label_selector="env=staging", server_status="off", api_endpoint="http://127.0.0.1:1/v1")], "backup=daily", ["running"]
    )
    assert checked == [
        {"name": "prod", "index": 0, "host": "project_prod", "api_endpoint": DEFAULT_ENDPOINT, "label_selector": "backup=daily", "server_status": ["running"]},
        {
            "name": "staging",
            "index": 1,
            "host": "project_staging",
            "api_endpoint": "http://127.0.0.1:1/v1",
            "label_selector": "env=staging",
            "server_status": ["off"],
        },
    ]
    assert TOKEN not in repr(checked)


def test_no_server_status_means_every_status():
    assert checked_projects([project()])[0]["server_status"] is None


@pytest.mark.parametrize(
    ("projects", "message"),
    [
        (None, "projects must be a non-empty list of projects, each a dict with at least name and api_token; got nothing"),
        ([], "projects must be a non-empty list"),
        ({"name": "prod"}, "projects must be a non-empty list of projects.*got a dict"),
        (["prod"], r"projects\[0\] must be a dict with at least name and api_token; got the string 'prod'"),
        ([{"api_token": TOKEN}], r"projects\[0\]: name must be 1 to 63 letters.*got nothing"),
        ([project("prod east")], r"projects\[0\]: name must be .*got the string 'prod east'"),
        ([project(), project()], "the name prod is given more than once; give each project its own name"),
        (
            [project(labelselector="a=b")],
            "project prod: unknown key\\(s\\) labelselector; the keys are name, api_token, api_endpoint, label_selector, server_status",
        ),
        ([{"name": "prod"}], "project prod: api_token is missing; give each project its own token, vault-encrypted"),
        ([project(api_token="  ")], "project prod: api_token is missing"),
        ([project(api_token=42)], "project prod: api_token must be a string .*got a int"),
        ([project(api_endpoint="ftp://x")], "project prod: api_endpoint must be an http:// or https:// URL"),
        ([project(label_selector=["a"])], "project prod: label_selector must be a string"),
        ([project(server_status=[1])], "project prod: server_status must be a list of server statuses"),
    ],
)
def test_a_bad_list_is_refused_naming_the_project_and_the_key(projects, message):
    with pytest.raises(ProjectsError, match=message) as raised:
        checked_projects(projects)
    assert TOKEN not in str(raised.value)


def test_a_long_string_is_not_shown():
    with pytest.raises(ProjectsError) as raised:
        checked_projects([{"name": TOKEN * 3, "api_token": TOKEN}])
    assert "got a long string" in str(raised.value) and TOKEN not in str(raised.value)


def test_the_filter_says_which_filter_refused():
    filters = FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match=r"^lockaware\.hcloud\.fleet_projects: project prod: api_token is missing"):
        filters["fleet_projects"]([{"name": "prod"}])


def test_an_outcome_counts_made_unchanged_skipped_failed_and_the_cost():
    outcome = project_outcome(
        "prod",
        {"changed": False},
        run_result({"created": 2, "converted": 1, "adopted": 1, "unchanged": 3, "skipped": 1}, results=8, cost=("1.5000", "1.7850", "EUR")),
    )
    assert outcome == {
        "name": "prod",
        "failed": False,
        "servers": 8,
        "made": 4,
        "unchanged": 3,
        "skipped": 1,
        "failed_servers": [],
        "deleted": 2,
        "cost": {"net": "1.5000", "gross": "1.7850", "currency": "EUR"},
        "msg": "done",
        "ran": True,
    }


def test_an_unknown_price_gives_no_cost():
    run = run_result({"created": 1}, cost=("1", "1", "EUR"))
    run["retention_summary"]["price_unknown"] = "GET /pricing failed"
    assert project_outcome("prod", {}, run)["cost"] is None


def test_a_project_whose_servers_could_not_be_listed_failed_with_the_lookups_message():
    wrapped = (
        "Task failed: Finalization of task args failed: The lookup plugin 'lockaware.hcloud.servers' failed: "
        "lockaware.hcloud.servers: listing the servers at x: unable to authenticate"
    )
    outcome = project_outcome("stage", {"failed": True, "msg": wrapped}, {"skipped": True})
    assert outcome["failed"] and outcome["servers"] == 0
    assert outcome["msg"] == "finding the servers failed: lockaware.hcloud.servers: listing the servers at x: unable to authenticate"
    assert lookup_message("no lookup here") == "no lookup here"


def test_a_fleet_task_that_could_not_start_failed_with_its_message():
    assert project_outcome("prod", {}, {"failed": True, "msg": "keep must be 1 or more"})["msg"] == "keep must be 1 or more"
    assert project_outcome("prod", {}, {"skipped": True})["msg"] == "its tasks did not run"


def test_the_summary_has_a_line_per_project_then_the_totals_per_currency():
    outcomes = [
        project_outcome("prod", {}, run_result({"created": 3, "unchanged": 1}, results=4, cost=("1.2500", "1.4875", "EUR"))),
        project_outcome("us", {}, run_result({"unchanged": 2}, failed=["web9"], results=3, cost=("0.5000", "0.6000", "USD"))),
        project_outcome("eu2", {}, run_result({"created": 1}, results=1, cost=("0.2500", "0.2975", "EUR"))),
        project_outcome("stage", {"failed": True, "msg": "lockaware.hcloud.servers: connection refused"}, {"skipped": True}),
    ]
    summary = projects_summary(outcomes)
    assert summary["lines"] == [
        "prod   4 servers: 3 snapshots made, 1 unchanged, 0 skipped, 0 failed, 2 deleted by rotation; "
        "snapshots kept cost 1.2500 EUR net (1.4875 gross) a month",
        "us     3 servers: 0 snapshots made, 2 unchanged, 0 skipped, 1 failed, 2 deleted by rotation; "
        "snapshots kept cost 0.5000 USD net (0.6000 gross) a month; FAILED: web9",
        "eu2    1 server: 1 snapshot made, 0 unchanged, 0 skipped, 0 failed, 2 deleted by rotation; snapshots kept cost 0.2500 EUR net (0.2975 gross) a month",
        "stage  FAILED: finding the servers failed: lockaware.hcloud.servers: connection refused",
        "total  4 projects, 8 servers: 4 snapshots made, 3 unchanged, 0 skipped, 1 failed, 6 deleted by rotation; snapshots kept cost "
        "1.5000 EUR net (1.7850 gross) + 0.5000 USD net (0.6000 gross) a month; 2 projects failed: us, stage",
    ]
    assert summary["failed"] == ["us", "stage"]
    assert summary["not_run"] == []
    assert summary["totals"]["cost"] == [{"currency": "EUR", "net": "1.5000", "gross": "1.7850"}, {"currency": "USD", "net": "0.5000", "gross": "0.6000"}]


def test_without_rotation_the_cost_is_not_computed_and_nothing_failed():
    summary = projects_summary([project_outcome("prod", {}, run_result({"created": 1}, results=1))])
    assert summary["lines"][0].endswith("; cost a month: not computed (without keep or retention)")
    assert summary["lines"][1].endswith("; 0 projects failed")
    assert summary["failed"] == []


def test_the_summary_filter_reads_each_project_hosts_variables():
    hosts = [
        {"hcloud_project": {"name": "prod"}, "hcloud_project_token": TOKEN, "fleet_find": {}, "fleet_run": run_result({"created": 1}, results=1)},
        {"hcloud_project": {"name": "stage"}, "hcloud_project_token": TOKEN, "fleet_find": {"failed": True, "msg": "refused"}},
    ]
    summary = FilterModule().filters()["fleet_projects_summary"](hosts)
    assert summary["failed"] == ["stage"]
    assert summary["lines"][0].startswith("prod   1 server: 1 snapshot made")
    assert TOKEN not in repr(summary)


def test_a_project_whose_host_never_ran_failed_and_is_named_as_not_run():
    summary = projects_summary([project_outcome("prod", {}, run_result({"created": 1}, results=1)), project_outcome("stage", None, None)])
    assert summary["not_run"] == ["stage"]
    assert summary["failed"] == ["stage"]
    assert summary["lines"][1].startswith("stage  FAILED: did not run: a limit (--limit, or the Limit of an AWX job template) left its host out")
