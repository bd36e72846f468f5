"""The built-in initial states before parsing: the demo project, and N generated servers."""

from __future__ import annotations

import random
from typing import Any

DEMO_STATE: dict[str, Any] = {
    "settings": {
        "snapshot_quota": 30,
        "snapshot_seconds_base": 3,
        "snapshot_seconds_per_gb": 0.05,
        "shutdown_seconds": 3,
        "poweroff_seconds": 1,
        "poweron_seconds": 2,
        "reboot_seconds": 3,
    },
    "servers": [
        {"name": "web1", "labels": {"env": "prod", "role": "web", "backup": "daily"}, "server_type": "cx22", "location": "fsn1"},
        {"name": "web2", "labels": {"env": "prod", "role": "web", "backup": "daily"}, "server_type": "cx22", "location": "nbg1"},
        {
            "name": "db1",
            "labels": {"env": "prod", "role": "db", "backup": "daily"},
            "server_type": "cx42",
            "location": "fsn1",
            "backup_window": "02-06",
            "protection": {"delete": True, "rebuild": True},
            "snapshots": [
                {"description": "db1 before postgres 16 upgrade", "age_hours": 2200, "protected": True},
                {"description": "golden database image", "labels": {"team": "dba"}, "age_hours": 4100, "protected": True},
                {"description": "manual test by alice", "labels": {"owner": "alice"}, "age_hours": 400},
                {"description": "db1-daily", "labels": {"lockaware.hcloud/managed": "true", "backup": "daily"}, "age_hours": 74},
                {"description": "db1-daily", "labels": {"lockaware.hcloud/managed": "true", "backup": "daily"}, "age_hours": 50},
                {"description": "db1-daily", "labels": {"lockaware.hcloud/managed": "true", "backup": "daily"}, "age_hours": 26},
                {"description": "Backup of db1", "type": "backup", "age_hours": 20},
            ],
        },
        {
            "name": "sg5",
            "labels": {"env": "prod", "role": "storage", "backup": "daily"},
            "server_type": "cpx31",
            "location": "hel1",
            "backup_window": "22-02",
            "locks": [{"command": "create_image", "seconds": 10, "image": {"type": "backup", "description": "Backup of sg5"}}],
        },
        {"name": "worker1", "labels": {"env": "staging", "role": "worker", "backup": "weekly"}, "server_type": "cpx21", "location": "nbg1"},
        {
            "name": "legacy",
            "labels": {"env": "dev", "role": "app", "backup": "none"},
            "server_type": "cx11",
            "location": "fsn1",
            "status": "off",
            "image": "ubuntu-20.04",
        },
    ],
}


_GENERATED_TYPES = ("cx11", "cx22", "cpx11", "cx32", "cpx21", "cx42", "cpx31", "cpx41", "cx52", "cpx51")


def generated_state_spec(count: int, seed: int = 0) -> dict[str, Any]:
    """The spec of ``count`` generated servers ``srv-0001``..., the same for the same seed."""
    rng = random.Random(seed)
    servers = []
    for index in range(1, count + 1):
        backup = rng.choice(("daily", "daily", "weekly", "none"))
        server: dict[str, Any] = {
            "name": f"srv-{index:04d}",
            "labels": {"env": rng.choice(("prod", "prod", "staging", "dev")), "role": rng.choice(("web", "db", "worker", "cache")), "backup": backup},
            "server_type": rng.choice(_GENERATED_TYPES),
            "location": rng.choice(("fsn1", "nbg1", "hel1")),
            "status": "off" if rng.random() < 0.1 else "running",
        }
        if backup == "daily" and rng.random() < 0.3:
            server["backup_window"] = "22-02"
        servers.append(server)
    return {"servers": servers}
