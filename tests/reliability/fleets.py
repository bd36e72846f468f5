"""Fleet specs for ``/_sim/reset``: small fleets with fast snapshots, built from a scenario's seeded random generator."""

from __future__ import annotations

from typing import Any

from harness import sim_seconds

MANAGED = {"lockaware.hcloud/managed": "true"}
LOCK_KINDS = ("rebuild", "backup", "shutdown")


def settings(**overrides: Any) -> dict[str, Any]:
    """Fast settings: a snapshot takes about a second whatever the disk, power actions a second."""
    values: dict[str, Any] = {
        "snapshot_seconds_base": sim_seconds(1),
        "snapshot_seconds_per_gb": 0,
        "shutdown_seconds": sim_seconds(1),
        "poweroff_seconds": sim_seconds(1),
        "poweron_seconds": sim_seconds(1),
        "reboot_seconds": sim_seconds(1),
        "snapshot_quota": 1000,
    }
    values.update(overrides)
    return values


def server(name: str, disk: int = 20, **extra: Any) -> dict[str, Any]:
    """One server of a fleet spec (with a backup window, so that backups can lock it)."""
    spec: dict[str, Any] = {"name": name, "labels": {"backup": "daily", "env": "reliability"}, "disk": disk, "backup_window": "22-02"}
    spec.update(extra)
    return spec


def fleet(servers: list[dict[str, Any]], **setting_overrides: Any) -> dict[str, Any]:
    """A fleet spec with fast settings."""
    return {"settings": settings(**setting_overrides), "servers": servers}


def snapshot(description: str, labels: dict[str, str] | None = None, age_hours: float = 24.0, protected: bool = False) -> dict[str, Any]:
    """A snapshot that exists when the fleet is loaded."""
    return {"description": description, "labels": dict(labels or {}), "age_hours": age_hours, "protected": protected}


def lock_body(kind: str, seconds: float, description: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Arguments of ``SimControl.lock`` for another client's action of this kind (real ``seconds``).

    ``backup`` is a create_image of a backup; ``snapshot`` a create_image of a snapshot with ``description``.
    """
    body: dict[str, Any] = {"command": kind, "seconds": sim_seconds(seconds)}
    if kind == "backup":
        body.update(command="create_image", image={"type": "backup", "description": description or "nightly backup"})
    elif kind == "snapshot":
        body.update(command="create_image", image={"type": "snapshot", "description": description, "labels": dict(labels or {})})
    return body
