# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes of a restore drill's results (``lockaware.hcloud.scratch_server``'s RETURN documents them)."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import ipaddress

from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._drill_choice import location_of
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_marks import ORIGIN_LABEL, SNAPSHOT_LABEL, expires_at, run_of


def first_ipv6(network: str | None) -> str | None:
    """The first address of the server's IPv6 network (``2001:db8::/64`` -> ``2001:db8::1``), as Hetzner assigns it."""
    if not network:
        return None
    try:
        return str(ipaddress.IPv6Network(network, strict=False).network_address + 1)
    except ValueError:
        return None


def scratch_view(server: dict) -> dict:
    """A scratch server: where to reach it, what it was made from, and when it expires."""
    public = server.get("public_net") or {}
    ipv4 = (public.get("ipv4") or {}).get("ip")
    ipv6 = first_ipv6((public.get("ipv6") or {}).get("ip"))
    labels = server.get("labels") or {}
    expires = expires_at(server)
    return {
        "id": server["id"],
        "name": server["name"],
        "status": server.get("status"),
        "address": ipv4 or ipv6,
        "ipv4": ipv4,
        "ipv6": ipv6,
        "server_type": (server.get("server_type") or {}).get("name"),
        "location": location_of(server),
        "created": server.get("created"),
        "run_id": run_of(server),
        "origin_id": int(labels[ORIGIN_LABEL]) if str(labels.get(ORIGIN_LABEL, "")).isdigit() else None,
        "snapshot_id": int(labels[SNAPSHOT_LABEL]) if str(labels.get(SNAPSHOT_LABEL, "")).isdigit() else None,
        "expires": expires.isoformat() if expires else None,
    }


def snapshot_brief(image: dict) -> dict:
    """The snapshot a drill restores."""
    keys = ("id", "description", "created", "disk_size", "image_size", "architecture")
    view = {key: image.get(key) for key in keys}
    view["labels"] = dict(image.get("labels") or {})
    return view
