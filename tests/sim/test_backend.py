"""Unit tests of the backend: actions settled from a fake clock, locks, quota, images."""

from __future__ import annotations

import re

import pytest

from hcloud_sim.backend import Backend
from hcloud_sim.clock import FakeClock, isoformat
from hcloud_sim.errors import ApiError
from hcloud_sim.faults import ActionFault
from hcloud_sim.initial_state import LockSpec, parse_initial_state
from hcloud_sim.settings import parse_settings

SETTINGS = {
    "snapshot_quota": 3,
    "snapshot_seconds_base": 10,
    "snapshot_seconds_per_gb": 0.5,
    "shutdown_seconds": 5,
    "poweroff_seconds": 1,
    "poweron_seconds": 3,
    "reboot_seconds": 4,
}


def make_backend(servers: list[dict] | None = None, speed: float = 1.0, **settings: float | str) -> tuple[Backend, FakeClock]:
    clock = FakeClock(speed=speed)
    fleet = parse_initial_state(
        {
            "settings": {**SETTINGS, **settings},
            "servers": servers
            or [
                {"name": "a", "server_type": "cx22", "backup_window": "22-02"},
                {"name": "b", "server_type": "cx42", "status": "off"},
            ],
        }
    )
    return Backend(clock, fleet), clock


def server(backend: Backend, name: str):
    [found] = backend.list_servers(name=name)
    return found


def expect_error(status: int, code: str, call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    assert (caught.value.status, caught.value.code) == (status, code), caught.value.message
    return caught.value


def test_create_image_progresses_and_finishes_from_the_clock() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    start = clock.now()
    action, image = backend.create_image(a.id, "first", "snapshot", {"k": "v"})
    # 40 GB disk: 10 s + 0.5 s/GB * 40 = 30 s
    assert (action.status, action.progress, action.finished, action.command) == ("running", 0, None, "create_image")
    assert action.resources == [{"id": a.id, "type": "server"}, {"id": image.id, "type": "image"}]
    assert (image.status, image.image_size, image.disk_size, image.type) == ("creating", None, 40, "snapshot")
    assert image.created_from == {"id": a.id, "name": "a"}
    assert server(backend, "a").locked

    clock.advance(15)
    assert backend.get_action(action.id).progress == 50
    assert backend.get_image(image.id).status == "creating"
    assert server(backend, "a").locked

    clock.advance(15)
    done = backend.get_action(action.id)
    assert (done.status, done.progress, done.error) == ("success", 100, None)
    assert done.finished == start + 30
    assert isoformat(done.finished) == isoformat(start + 30)
    finished_image = backend.get_image(image.id)
    assert finished_image.status == "available"
    assert finished_image.image_size is not None and 0 < finished_image.image_size <= 40
    assert not server(backend, "a").locked


def test_state_settles_without_anyone_polling() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    action, image = backend.create_image(a.id, None, "snapshot", None)
    clock.advance(3600)
    # the first read an hour later sees the finished state, with the finish time of the action itself
    assert not server(backend, "a").locked
    assert backend.get_action(action.id).finished == action.started + 30
    assert backend.get_image(image.id).status == "available"


def test_a_server_runs_one_action_at_a_time() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    backend.create_image(a.id, "x", "snapshot", None)
    error = expect_error(423, "locked", backend.create_image, a.id, "y", "snapshot", None)
    assert error.message == "cannot perform operation because server is locked"
    for command in ("shutdown", "poweroff", "poweron", "reboot"):
        expect_error(423, "locked", backend.power_action, a.id, command)
    clock.advance(30)
    assert backend.power_action(a.id, "reboot").status == "running"


def test_speed_divides_durations() -> None:
    backend, clock = make_backend(speed=10)
    a = server(backend, "a")
    action, _image = backend.create_image(a.id, "x", "snapshot", None)
    clock.advance(2.9)
    assert backend.get_action(action.id).status == "running"
    clock.advance(0.1)
    assert backend.get_action(action.id).status == "success"


def test_shutdown_poweroff_poweron() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    shutdown = backend.power_action(a.id, "shutdown")
    assert shutdown.status == "running"
    assert server(backend, "a").status == "stopping"
    clock.advance(5)
    assert server(backend, "a").status == "off"
    assert not server(backend, "a").locked

    again = backend.power_action(a.id, "shutdown")
    assert (again.status, again.progress) == ("success", 100)
    assert not server(backend, "a").locked

    poweron = backend.power_action(a.id, "poweron")
    assert server(backend, "a").status == "starting"
    clock.advance(3)
    assert backend.get_action(poweron.id).status == "success"
    assert server(backend, "a").status == "running"

    backend.power_action(a.id, "poweroff")
    assert server(backend, "a").status == "off"
    assert server(backend, "a").locked
    clock.advance(1)
    assert not server(backend, "a").locked


def test_fleet_locks_run_one_after_another() -> None:
    servers = [
        {
            "name": "sg5",
            "backup_window": "22-02",
            "locks": [
                {"command": "create_image", "seconds": 10, "image": {"type": "backup", "description": "nightly"}},
                {"command": "rebuild", "seconds": 5, "delay": 2},
            ],
        }
    ]
    backend, clock = make_backend(servers)
    sg5 = server(backend, "sg5")
    assert sg5.locked
    [backup] = backend.list_images(lambda image: image.type == "backup")
    assert (backup.status, backup.bound_to, backup.description) == ("creating", sg5.id, "nightly")
    clock.advance(10)
    assert not server(backend, "sg5").locked
    assert backend.get_image(backup.id).status == "available"
    clock.advance(2)
    assert server(backend, "sg5").locked
    commands = [(action.command, action.status) for action in backend.list_actions("server", sg5.id)]
    assert commands == [("create_image", "success"), ("rebuild", "running")]
    clock.advance(5)
    assert not server(backend, "sg5").locked


def test_a_scheduled_lock_waits_for_a_client_action() -> None:
    backend, clock = make_backend([{"name": "s", "locks": [{"command": "rebuild", "seconds": 5, "delay": 1}]}])
    s = server(backend, "s")
    backend.create_image(s.id, "x", "snapshot", None)  # 30 s
    clock.advance(31)
    actions = backend.list_actions("server", s.id)
    assert [(action.command, action.status) for action in actions] == [("create_image", "success"), ("rebuild", "running")]
    assert actions[1].started == actions[0].finished


def test_snapshot_quota_counts_creating_and_available_snapshots_only() -> None:
    backend, clock = make_backend(snapshot_quota=2)
    a = server(backend, "a")
    backend.create_image(a.id, "1", "snapshot", None)
    clock.advance(60)
    backend.create_image(a.id, "2", "snapshot", None)
    clock.advance(60)
    expect_error(403, "resource_limit_exceeded", backend.create_image, a.id, "3", "snapshot", None)
    backup, image = backend.create_image(a.id, "backup", "backup", None)
    assert image.bound_to == a.id
    clock.advance(60)
    [first, *_others] = backend.list_images(lambda image: image.type == "snapshot")
    backend.delete_image(first.id)
    assert backend.create_image(a.id, "3", "snapshot", None)[1].status == "creating"
    assert backup.status == "running"


def test_backup_needs_backups_enabled() -> None:
    backend, _clock = make_backend()
    error = expect_error(400, "invalid_input", backend.create_image, server(backend, "b").id, None, "backup", None)
    assert error.details["fields"][0]["name"] == "type"


def test_generated_description() -> None:
    backend, _clock = make_backend()
    _action, image = backend.create_image(server(backend, "a").id, None, "snapshot", None)
    assert re.fullmatch(r"a-\d{14}", image.description)


def test_action_fault_makes_the_next_action_fail() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    backend.faults.add_action_fault(ActionFault("create_image", 1, "action_failed", "disk error"))
    action, image = backend.create_image(a.id, "x", "snapshot", None)
    assert action.status == "running"
    clock.advance(10)
    assert backend.get_action(action.id).status == "running"
    clock.advance(20)
    failed = backend.get_action(action.id)
    assert failed.status == "error"
    assert failed.error == {"code": "action_failed", "message": "disk error"}
    assert failed.finished is not None
    left = backend.get_image(image.id)  # failed_image: unavailable (the default)
    assert (left.status, left.image_size) == ("unavailable", None)
    assert not server(backend, "a").locked
    second, _image = backend.create_image(a.id, "y", "snapshot", None)
    clock.advance(30)
    assert backend.get_action(second.id).status == "success"


def test_fail_action_ends_it_now() -> None:
    backend, clock = make_backend(failed_image="delete")
    a = server(backend, "a")
    action, image, _hidden = backend.sim_lock("a", LockSpec("create_image", 100))
    assert image is not None
    clock.advance(50)
    failed = backend.fail_action(action.id, "action_failed", "boom")
    assert (failed.status, failed.progress, failed.finished) == ("error", 50, clock.now())
    assert not server(backend, "a").locked
    expect_error(404, "not_found", backend.get_image, image.id)
    expect_error(409, "conflict", backend.fail_action, action.id, "x", "y")
    assert a.id == failed.server_id


def test_image_deletion_rules() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    _action, image = backend.create_image(a.id, "x", "snapshot", None)
    expect_error(423, "locked", backend.delete_image, image.id)
    expect_error(423, "locked", backend.change_image_protection, image.id, True)
    clock.advance(30)
    protection = backend.change_image_protection(image.id, True)
    assert (protection.command, protection.status, protection.progress) == ("change_protection", "success", 100)
    assert protection.resources == [{"id": image.id, "type": "image"}]
    expect_error(423, "protected", backend.delete_image, image.id)
    backend.change_image_protection(image.id, False)
    backend.delete_image(image.id)
    expect_error(404, "not_found", backend.get_image, image.id)
    expect_error(404, "not_found", backend.delete_image, image.id)
    expect_error(403, "forbidden", backend.delete_image, 1003)


def test_update_image_replaces_labels_and_converts_backups() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    _action, image = backend.create_image(a.id, "x", "backup", {"a": "1"})
    clock.advance(30)
    updated = backend.update_image(image.id, description="kept", labels={"b": "2"})
    assert (updated.description, updated.labels, updated.type, updated.bound_to) == ("kept", {"b": "2"}, "backup", a.id)
    converted = backend.update_image(image.id, image_type="snapshot")
    assert (converted.type, converted.bound_to) == ("snapshot", None)


def test_delete_server_fails_its_actions_and_drops_its_backups() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    _action, backup = backend.create_image(a.id, "b", "backup", None)
    clock.advance(30)
    _action, snapshot = backend.create_image(a.id, "s", "snapshot", None)
    clock.advance(30)
    action, creating, _hidden = backend.sim_lock(a.id, LockSpec("create_image", 100))
    backend.delete_server("a")
    assert backend.get_action(action.id).error["code"] == "server_deleted"
    assert backend.get_image(snapshot.id).created_from == {"id": a.id, "name": "a"}
    for gone in (backup.id, creating.id):
        expect_error(404, "not_found", backend.get_image, gone)
    expect_error(404, "not_found", backend.get_server, a.id)


def test_reset_replaces_everything() -> None:
    backend, _clock = make_backend()
    backend.create_image(server(backend, "a").id, "x", "snapshot", None)
    backend.reset(parse_initial_state({"servers": [{"name": "only"}]}))
    assert [s.name for s in backend.list_servers()] == ["only"]
    assert backend.list_actions() == []
    assert all(image.type == "system" for image in backend.list_images(lambda image: True))


def test_returned_objects_are_copies() -> None:
    backend, _clock = make_backend()
    a = server(backend, "a")
    a.labels["mutated"] = "yes"
    assert "mutated" not in server(backend, "a").labels


@pytest.mark.parametrize(("mode", "midway"), [("linear", 50), ("stuck", 0)])
def test_progress_linear_or_stuck(mode: str, midway: int) -> None:
    backend, clock = make_backend(progress=mode)
    action, _image = backend.create_image(server(backend, "a").id, "x", "snapshot", None)  # 30 s
    clock.advance(15)
    assert backend.get_action(action.id).progress == midway
    clock.advance(15)
    assert (backend.get_action(action.id).status, backend.get_action(action.id).progress) == ("success", 100)


def test_speed_compresses_the_default_durations() -> None:
    clock = FakeClock(speed=10)
    backend = Backend(clock, parse_initial_state({"servers": [{"name": "a", "disk": 40}]}))
    action, _image = backend.create_image(backend.list_servers()[0].id, "x", "snapshot", None)
    assert action.ends_at - action.started == pytest.approx((30 + 40) / 10)  # 30 s + 1 s/GB, at speed 10


@pytest.mark.parametrize(("mode", "left"), [("unavailable", "unavailable"), ("delete", None)])
def test_failed_image_setting(mode: str, left: str | None) -> None:
    backend, clock = make_backend(failed_image=mode)
    action, image = backend.create_image(server(backend, "a").id, "x", "snapshot", None)
    clock.advance(5)
    backend.fail_action(action.id, "action_failed", "boom")
    statuses = [found.status for found in backend.list_images(lambda found: found.id == image.id)]
    assert statuses == ([left] if left else [])
    assert backend.list_images(lambda found: found.is_snapshot) == []  # an unavailable image does not count against the quota


def test_invisible_lock_refuses_actions_lists_nothing_and_expires() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    action, image, hidden = backend.sim_lock("a", LockSpec("rebuild", 20, visible=False))
    assert (action, image) == (None, None) and hidden.until == clock.now() + 20
    expect_error(423, "locked", backend.create_image, a.id, "x", "snapshot", None)
    expect_error(423, "locked", backend.power_action, a.id, "reboot")
    assert backend.list_actions("server", a.id) == [] and not server(backend, "a").locked
    clock.advance(20)
    backend.power_action(a.id, "reboot")
    assert backend.snapshot_state().hidden_locks == []


def test_invisible_lock_in_the_initial_state_delays_the_next_lock() -> None:
    backend, clock = make_backend(
        servers=[{"name": "a", "locks": [{"command": "rebuild", "seconds": 10, "visible": False}, {"command": "rebuild", "seconds": 5}]}]
    )
    a = server(backend, "a")
    assert backend.list_actions("server", a.id) == []
    expect_error(423, "locked", backend.power_action, a.id, "reboot")
    clock.advance(11)
    [rebuild] = backend.list_actions("server", a.id)
    assert (rebuild.command, rebuild.status) == ("rebuild", "running")


def test_actions_by_id_are_capped() -> None:
    servers = [{"name": f"s{index}"} for index in range(30)]
    backend, _clock = make_backend(servers=servers)
    ids = [backend.power_action(found.id, "reboot").id for found in backend.list_servers()]
    assert [action.id for action in backend.poll_actions(ids[::-1])] == sorted(ids[::-1][:25])
    backend.update_settings(parse_settings({"actions_id_cap": 30}, backend.settings))
    assert [action.id for action in backend.poll_actions(ids)] == ids


def test_create_server_holds_the_lock_until_it_has_started() -> None:
    backend, clock = make_backend(create_server_seconds=10, poweron_seconds=3)
    created, action, [start], password = backend.create_server("c", "cpx22", "debian-13", start_after_create=True)
    assert password and len(password) == 20
    assert (created.status, created.locked, created.server_type, created.primary_disk_size) == ("initializing", True, "cpx22", 80)
    clock.advance(10)
    assert (backend.get_server(created.id).status, backend.get_server(created.id).locked) == ("starting", True)
    assert backend.get_action(action.id).status == "success"
    expect_error(423, "locked", backend.rebuild_server, created.id, "debian-12")
    clock.advance(3)
    assert (backend.get_server(created.id).status, backend.get_server(created.id).locked) == ("running", False)
    assert backend.get_action(start.id).finished == backend.get_action(action.id).finished + 3


def test_a_failed_create_server_fails_its_start_too() -> None:
    backend, clock = make_backend()
    backend.faults.add_action_fault(ActionFault("create_server", times=1, code="action_failed", message="no capacity"))
    created, action, [start], _password = backend.create_server("c", "cx22", "debian-12")
    clock.advance(60)
    assert [backend.get_action(item.id).status for item in (action, start)] == ["error", "error"]
    assert not backend.get_server(created.id).locked


def test_rebuild_replaces_the_image_and_keeps_the_server() -> None:
    backend, clock = make_backend(rebuild_seconds=20)
    a = server(backend, "a")
    action, password = backend.rebuild_server(a.id, "debian-12")
    assert password
    rebuilding = backend.get_server(a.id)
    assert (rebuilding.status, rebuilding.locked, rebuilding.image.name) == ("rebuilding", True, "debian-12")
    clock.advance(20)
    assert backend.get_action(action.id).status == "success"
    assert (backend.get_server(a.id).status, backend.get_server(a.id).locked) == ("running", False)
    expect_error(400, "invalid_input", backend.rebuild_server, a.id, "no-such-image")


def test_delete_server_takes_its_backups_and_leaves_its_snapshots() -> None:
    backend, clock = make_backend()
    a = server(backend, "a")
    _snapshot_action, snapshot = backend.create_image(a.id, "keep", "snapshot", None)
    clock.advance(60)
    _backup_action, backup = backend.create_image(a.id, "goes", "backup", None)
    clock.advance(60)
    action = backend.delete_server_by_api(a.id)
    assert (action.command, action.resources) == ("delete_server", [{"id": a.id, "type": "server"}])
    assert backend.get_image(snapshot.id).created_from == {"id": a.id, "name": "a"}
    expect_error(404, "not_found", backend.get_image, backup.id)
    expect_error(404, "not_found", backend.get_server, a.id)


def backups_of(backend: Backend, server_id: int) -> list:
    return [image for image in backend.list_images(lambda image: image.type == "backup" and image.bound_to == server_id) if image.status == "available"]


def test_no_automatic_backups_by_default() -> None:
    backend, clock = make_backend(speed=3600)  # one real second is a simulated hour
    a = server(backend, "a")
    clock.advance(24 * 3)
    assert backups_of(backend, a.id) == []


def test_automatic_daily_backups_keep_seven_slots() -> None:
    backend, clock = make_backend(speed=3600, automatic_backups="daily")
    a, b = server(backend, "a"), server(backend, "b")  # a: window 22-02; b: no backups
    clock.advance(24)  # one simulated day: the window has begun exactly once
    [first] = backups_of(backend, a.id)
    assert first.created_from == {"id": a.id, "name": "a"}
    epoch = backend.store.epoch
    assert round(epoch + (first.created - epoch) * 3600) % 86_400 == 22 * 3_600  # at the window's start, in simulated time
    actions = backend.list_actions("server", a.id)
    assert [(action.command, action.status) for action in actions] == [("create_image", "success")]
    clock.advance(24 * 9)
    kept = backups_of(backend, a.id)
    assert len(kept) == 7
    assert first.id not in [image.id for image in kept]
    assert backups_of(backend, b.id) == []
    backend.disable_backup(a.id)
    clock.advance(24 * 2)
    assert backups_of(backend, a.id) == []


def test_an_automatic_backup_waits_for_a_running_action() -> None:
    backend, clock = make_backend(speed=3600, automatic_backups="daily", rebuild_seconds=7200)
    a = server(backend, "a")
    epoch = backend.store.epoch
    hours_to_window = (22 - (epoch % 86_400) / 3_600) % 24  # real seconds at this speed
    clock.advance(hours_to_window - 1)  # a simulated hour before the window
    rebuild, _password = backend.rebuild_server(a.id, "debian-12")  # runs two simulated hours, past the window's start
    clock.advance(1.5)
    assert backups_of(backend, a.id) == []
    clock.advance(1)
    [backup] = backups_of(backend, a.id)
    assert backup.created == backend.get_action(rebuild.id).finished
