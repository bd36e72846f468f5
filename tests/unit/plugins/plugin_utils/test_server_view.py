# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup's server view: flat fields from the API's server JSON."""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.plugin_utils.server_view import running_actions_by_server, server_view

SERVER = {
    "id": 42,
    "name": "web1",
    "status": "running",
    "locked": False,
    "labels": {"backup": "daily"},
    "created": "2026-01-30T23:50:00+00:00",
    "server_type": {"name": "cx22", "architecture": "x86"},
    "location": {"name": "fsn1"},
    "public_net": {"ipv4": {"ip": "203.0.113.10"}, "ipv6": {"ip": "2001:db8:1::/64"}},
    "image": {"id": 114690387, "name": "ubuntu-24.04", "description": "Ubuntu 24.04"},
    "backup_window": "22-02",
    "primary_disk_size": 40,
}


def test_server_view_of_a_full_server():
    assert server_view(SERVER) == {
        "id": 42,
        "name": "web1",
        "status": "running",
        "locked": False,
        "labels": {"backup": "daily"},
        "created": "2026-01-30T23:50:00+00:00",
        "server_type": "cx22",
        "architecture": "x86",
        "location": "fsn1",
        "ipv4": "203.0.113.10",
        "ipv6": "2001:db8:1::1",
        "ipv6_network": "2001:db8:1::",
        "ipv6_network_mask": "64",
        "image": "ubuntu-24.04",
        "image_id": 114690387,
        "backup_window": "22-02",
        "primary_disk_size": 40,
    }


def test_server_view_of_a_bare_server_has_nones():
    view = server_view({"id": 1, "name": "bare"})
    assert view["ipv4"] is view["ipv6"] is view["ipv6_network"] is view["location"] is view["image"] is None
    assert view["labels"] == {}
    assert view["locked"] is False


def test_server_view_reads_the_old_datacenter_location_and_the_image_description():
    view = server_view({"id": 1, "name": "old", "datacenter": {"location": {"name": "nbg1"}}, "image": {"id": 5, "name": None, "description": "snap"}})
    assert view["location"] == "nbg1"
    assert view["image"] == "snap"


def test_server_view_copies_the_labels():
    server = dict(SERVER, labels={"a": "1"})
    server_view(server)["labels"]["a"] = "changed"
    assert server["labels"] == {"a": "1"}


def test_running_actions_by_server_groups_by_server_resource():
    actions = [
        {"id": 1, "command": "backup", "started": "t", "progress": 5, "status": "running", "resources": [{"type": "server", "id": 42}]},
        {"id": 2, "command": "create_image", "started": "t", "progress": 9, "resources": [{"type": "server", "id": 7}, {"type": "image", "id": 100}]},
        {"id": 3, "command": "attach_volume", "started": "t", "progress": 0, "resources": [{"type": "volume", "id": 9}]},
    ]
    assert running_actions_by_server(actions) == {
        42: [{"id": 1, "command": "backup", "started": "t", "progress": 5}],
        7: [{"id": 2, "command": "create_image", "started": "t", "progress": 9}],
    }
