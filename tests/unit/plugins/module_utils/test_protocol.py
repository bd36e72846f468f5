# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API protocol: the real client, the fleet's shared reads and the tests' fake implement it alike.

Each implementation runs the same calls on the same in-memory project (the real ``HcloudApi`` through a
transport that serves it from the fake's project), and must give the same answers.
"""

from __future__ import annotations

import inspect

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._protocol import SnapshotApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import AmbiguousServer, ServerNotFound
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._direct_reads import DirectReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_reads import FleetReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_task_api import FleetTaskApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._shared_reads import SharedReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import (
    FakeApi,
    FakeClock,
    FakeRateLimit,
    FakeTransport,
    make_backup,
    make_image,
    make_server,
)

PROTOCOL_METHODS = sorted(name for name, member in vars(SnapshotApi).items() if inspect.isfunction(member) and not name.startswith("_"))


def project():
    """The same small project for every implementation."""
    servers = [make_server(42, "web1"), make_server(7, "42"), make_server(8, "db1", status="off")]
    images = [
        make_image(1, managed=True, labels={"series": "nightly"}),
        make_image(2, server_id=8, server_name="db1"),
        make_image(3, status="creating"),
        make_image(6, managed=True, labels={"series": "nightly", "lockaware.hcloud/server": "42"}),  # in web1's series
        make_image(9, managed=True, labels={"series": "nightly", "lockaware.hcloud/server": "8"}, server_id=8, server_name="db1"),
        make_image(10, labels={"series": "nightly"}),  # another client's, outside any series
        make_backup(4),
        make_backup(5, server_id=8, server_name="db1"),
    ]
    return FakeApi(servers=servers, images=images)


def real_client(fake):
    return HcloudApi(FakeTransport(fake), FakeRateLimit(), clock=FakeClock())


def fake_itself(fake):
    return fake


def fleet_task(fake):
    clock = FakeClock()
    return FleetTaskApi(real_client(fake), SharedReads(real_client(fake), RequestBudget(clock=clock), clock))


def fleet_of_one_task(fake):
    clock = FakeClock()
    return FleetTaskApi(real_client(fake), DirectReads(real_client(fake), RequestBudget(clock=clock), clock))


IMPLEMENTATIONS = {"HcloudApi": real_client, "FakeApi": fake_itself, "FleetTaskApi": fleet_task, "FleetTaskApi (one)": fleet_of_one_task}


@pytest.mark.parametrize("implementation", [HcloudApi, FakeApi, FleetTaskApi])
@pytest.mark.parametrize("name", PROTOCOL_METHODS)
def test_every_protocol_method_is_implemented_with_the_same_parameters(implementation, name):
    expected = list(inspect.signature(getattr(SnapshotApi, name)).parameters)
    assert list(inspect.signature(getattr(implementation, name)).parameters) == expected


@pytest.mark.parametrize("implementation", [SharedReads, DirectReads])
@pytest.mark.parametrize("name", sorted(name for name, member in vars(FleetReads).items() if inspect.isfunction(member) and not name.startswith("_")))
def test_the_shared_and_the_direct_reads_read_alike(implementation, name):
    expected = list(inspect.signature(getattr(FleetReads, name)).parameters)
    assert list(inspect.signature(getattr(implementation, name)).parameters) == expected


@pytest.mark.parametrize("build", IMPLEMENTATIONS.values(), ids=IMPLEMENTATIONS.keys())
def test_each_implementation_is_a_snapshot_api(build):
    assert isinstance(build(project()), SnapshotApi)


def test_the_protocol_is_api_calls_only():
    # How long to wait and what a wait may spend travel beside the API (_pacing.Pacing), not in it.
    assert not {"rate_limit", "resend_delay", "poll_tick"} & set(dir(SnapshotApi))
    assert not {"rate_limit", "resend_delay", "poll_tick"} & set(vars(fleet_task(project())))


def script(api):
    """The same calls on any implementation; what each answered."""
    answers = {
        "server by name": api.server("web1"),
        "server by ID": api.server("8"),
        "current server": api.current_server(8),
        "snapshots": sorted(image["id"] for image in api.snapshots(None)),
        "snapshots by label": [image["id"] for image in api.snapshots("series=nightly")],
        "snapshots now": [image["id"] for image in api.snapshots_now("series=nightly")],
        # The look for a match made meanwhile: a fleet reads the series and what is outside any series, not the window.
        "server snapshots now": sorted(image["id"] for image in api.server_snapshots_now(42, {"series": "nightly"})),
        "running": api.running_actions(42),
        "image": api.image(1),
        "no image": api.image(999),
        "backups": [image["id"] for image in api.backups(42)],
    }
    for value, error in (("ghost", ServerNotFound), ("42", AmbiguousServer)):
        with pytest.raises(error) as raised:
            api.server(value)
        answers[f"server {value}"] = raised.value.msg
    action, image = api.create_snapshot(42, "web1-new", {"lockaware.hcloud/managed": "true"})
    answers["created"] = (action["command"], image["status"], image["description"])
    answers["action polled"] = {key: api.action(action["id"])[key] for key in ("id", "command", "status")}
    answers["protect"] = api.protect_image(image["id"])["command"]
    answers["power"] = api.server_action(8, "poweron")["command"]
    converted = api.convert_backup(4, "web1-kept", {"lockaware.hcloud/managed": "true"})
    answers["converted"] = {key: converted[key] for key in ("id", "type", "bound_to", "description", "labels")}
    api.delete_image(2)
    answers["after delete"] = api.image(2)
    return answers


def test_the_implementations_agree():
    answers = {name: script(build(project())) for name, build in IMPLEMENTATIONS.items()}
    reference = answers.pop("FakeApi")
    assert reference["server by ID"]["name"] == "db1"
    assert reference["snapshots by label"] == [10, 9, 6, 1]
    assert reference["server snapshots now"] == [1, 6, 10]
    assert reference["backups"] == [4]
    assert reference["converted"] == {"id": 4, "type": "snapshot", "bound_to": None, "description": "web1-kept", "labels": {"lockaware.hcloud/managed": "true"}}
    for name, answer in answers.items():
        assert answer == reference, name
