# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server as the ``servers`` lookup presents it: flat fields named like the hetzner.hcloud.hcloud inventory's
host variables (the lookup's RETURN documents them)."""

# This plugin_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import ipaddress
from typing import Any

RUNNING_ACTION_KEYS = ("id", "command", "started", "progress")


def server_view(server: dict) -> dict[str, Any]:
    """The lookup's dict for one server (the API's JSON)."""
    public_net = server.get("public_net") or {}
    image = server.get("image") or {}
    server_type = server.get("server_type") or {}
    ipv6_network, ipv6, mask = _ipv6(public_net.get("ipv6"))
    return {
        "id": server["id"],
        "name": server["name"],
        "status": server.get("status"),
        "locked": bool(server.get("locked")),
        "labels": dict(server.get("labels") or {}),
        "created": server.get("created"),
        "server_type": server_type.get("name"),
        "architecture": server_type.get("architecture"),
        "location": (server.get("location") or (server.get("datacenter") or {}).get("location") or {}).get("name"),
        "ipv4": (public_net.get("ipv4") or {}).get("ip"),
        "ipv6": ipv6,
        "ipv6_network": ipv6_network,
        "ipv6_network_mask": mask,
        "image": image.get("name") or image.get("description"),
        "image_id": image.get("id"),
        "backup_window": server.get("backup_window"),
        "primary_disk_size": server.get("primary_disk_size"),
    }


def running_actions_by_server(actions: list[dict]) -> dict[int, list[dict]]:
    """The ``running_actions`` of each server (by ID), from one listing of every server's running actions."""
    by_server: dict[int, list[dict]] = {}
    for action in actions:
        for resource in action.get("resources") or []:
            if resource.get("type") == "server":
                by_server.setdefault(resource["id"], []).append({key: action.get(key) for key in RUNNING_ACTION_KEYS})
    return by_server


def _ipv6(ipv6: dict | None) -> tuple[str | None, str | None, str | None]:
    """``(network, first usable address, mask)`` of the server's public IPv6 network, or Nones."""
    if not ipv6 or not ipv6.get("ip"):
        return None, None, None
    network = ipaddress.ip_network(ipv6["ip"], strict=False)
    return str(network.network_address), str(network.network_address + 1), str(network.prefixlen)
