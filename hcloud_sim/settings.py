"""The simulation settings: durations, the quota, and the switches between API behaviours.

The defaults follow the real API as it stands in December 2026 (sources in ``README.md``).
Each switch can be set in an initial state's ``settings:``, with ``--setting NAME=VALUE`` on the
command line (the defaults of every state the simulator loads), or through
``POST /_sim/settings`` without a reset.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


class SpecError(ValueError):
    """An initial state or a setting is invalid; the message names the offending path."""


# name -> allowed values, the default first
CHOICES: dict[str, tuple[str, ...]] = {
    "failed_image": ("unavailable", "delete"),
    "progress": ("linear", "stuck"),
    "datacenters": ("removed", "present"),
    "automatic_backups": ("off", "daily"),
}
WHOLE_NUMBERS = {"snapshot_quota": 0, "actions_id_cap": 1}  # name -> minimum


@dataclass(frozen=True)
class Settings:
    """Simulation settings. Durations are simulated seconds (divided by ``--speed``)."""

    snapshot_quota: int = 100
    snapshot_seconds_base: float = 30.0
    snapshot_seconds_per_gb: float = 1.0
    shutdown_seconds: float = 5.0
    poweroff_seconds: float = 1.0
    poweron_seconds: float = 3.0
    reboot_seconds: float = 5.0
    create_server_seconds: float = 15.0
    rebuild_seconds: float = 30.0
    delete_server_seconds: float = 3.0
    change_type_seconds: float = 60.0
    reset_seconds: float = 3.0
    actions_id_cap: int = 25
    failed_image: str = "unavailable"
    progress: str = "linear"
    datacenters: str = "removed"
    automatic_backups: str = "off"

    def snapshot_seconds(self, disk_gb: float) -> float:
        """How long (simulated seconds) an image of a disk of ``disk_gb`` takes."""
        return self.snapshot_seconds_base + self.snapshot_seconds_per_gb * disk_gb

    def to_json(self) -> dict[str, Any]:
        """Every setting by name."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


NAMES = tuple(item.name for item in fields(Settings))


def _value(name: str, value: Any, where: str) -> Any:
    if name in CHOICES:
        if value not in CHOICES[name]:
            raise SpecError(f"{where}: must be one of {', '.join(CHOICES[name])}, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: must be a number, got {value!r}")
    if name in WHOLE_NUMBERS:
        if not isinstance(value, int) and not float(value).is_integer():
            raise SpecError(f"{where}: must be a whole number, got {value!r}")
        if value < WHOLE_NUMBERS[name]:
            raise SpecError(f"{where}: must be at least {WHOLE_NUMBERS[name]}, got {value!r}")
        return int(value)
    if value < 0:
        raise SpecError(f"{where}: must be at least 0, got {value!r}")
    return float(value)


def parse_settings(value: Any, base: Settings | None = None, where: str = "settings") -> Settings:
    """Validate ``settings`` (every key optional) on top of ``base`` (default: the defaults)."""
    spec = {} if value is None else value
    if not isinstance(spec, dict):
        raise SpecError(f"{where}: must be a mapping, got {type(spec).__name__}")
    unknown = sorted(set(map(str, spec)) - set(NAMES))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(NAMES)})")
    changes = {name: _value(name, item, f"{where}.{name}") for name, item in spec.items()}
    return Settings(**{**(base or Settings()).to_json(), **changes})


def parse_assignment(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` from the command line: the value is a number when it reads as one."""
    name, equals, raw = text.partition("=")
    if not equals or not name:
        raise SpecError(f"--setting {text!r}: expected NAME=VALUE")
    for kind in (int, float):
        try:
            return name, kind(raw)
        except ValueError:
            continue
    return name, raw
