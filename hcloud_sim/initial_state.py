"""The initial state of a simulated project: its servers, their snapshots and locks, its settings and prices.

An initial state comes from ``--state`` (alias ``--fleet``): ``demo`` (the built-in demo
project), an integer ``N`` (N generated servers, deterministic from ``--seed``), or a path to a
YAML or JSON file; or from the body of ``POST /_sim/reset``. Every spec goes through
``parse_initial_state``, which rejects unknown keys and bad values with a ``SpecError`` naming
the offending path. What it gives is in ``state_specs``; the demo and generated specs in ``sample_states``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from . import catalog
from .labels import key_problem, value_problem
from .pricing import parse_pricing
from .sample_states import DEMO_STATE, generated_state_spec
from .settings import Settings, SpecError, parse_settings
from .state_specs import ImageSpec, InitialState, LockSpec, ServerSpec, SnapshotSpec

# the spec classes and the built-in states are importable from here too
__all__ = [
    "DEMO_STATE",
    "ImageSpec",
    "InitialState",
    "LockSpec",
    "ServerSpec",
    "SnapshotSpec",
    "demo_state",
    "generated_state",
    "generated_state_spec",
    "load_initial_state",
    "parse_image_spec",
    "parse_initial_state",
    "parse_lock",
]

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
_BACKUP_WINDOW = re.compile(r"^\d\d-\d\d$")
_SERVER_STATUSES = ("running", "off")
_IMAGE_TYPES = ("snapshot", "backup")


def _mapping(value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be a mapping, got {type(value).__name__}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(allowed)})")
    return value


def _typed(value: Any, where: str, kinds: tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and bool not in kinds:
        raise SpecError(f"{where}: must be {what}, got {value!r}")
    if not isinstance(value, kinds):
        raise SpecError(f"{where}: must be {what}, got {value!r}")
    return value


def _number(value: Any, where: str, minimum: float = 0.0) -> float:
    number = _typed(value, where, (int, float), "a number")
    if number < minimum:
        raise SpecError(f"{where}: must be at least {minimum:g}, got {number!r}")
    return float(number)


def _labels(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be a mapping of label keys to string values")
    for key, label_value in value.items():
        if not isinstance(key, str) or not isinstance(label_value, str):
            raise SpecError(f'{where}.{key}: label keys and values must be strings (quote values such as "true")')
        problem = key_problem(key) or value_problem(label_value)
        if problem:
            raise SpecError(f"{where}.{key}: {problem}")
    return dict(value)


def _fail(value: Any, where: str) -> dict[str, str] | None:
    if value is None:
        return None
    spec = _mapping(value, where, ("code", "message"))
    return {"code": str(spec.get("code", "action_failed")), "message": str(spec.get("message", "action failed"))}


def parse_image_spec(value: Any, where: str) -> ImageSpec:
    """Validate the ``image`` of a ``create_image`` lock."""
    spec = _mapping(value, where, ("description", "labels", "type"))
    description = spec.get("description")
    if description is not None:
        _typed(description, f"{where}.description", (str,), "a string")
    image_type = spec.get("type", "snapshot")
    if image_type not in _IMAGE_TYPES:
        raise SpecError(f"{where}.type: must be one of {', '.join(_IMAGE_TYPES)}")
    return ImageSpec(description, _labels(spec.get("labels"), f"{where}.labels"), image_type)


def parse_lock(value: Any, where: str) -> LockSpec:
    """Validate one lock: ``{command, seconds, delay?, image?, fail?, visible?}``."""
    spec = _mapping(value, where, ("command", "seconds", "delay", "image", "fail", "visible"))
    command = _typed(spec.get("command"), f"{where}.command", (str,), "a command name such as rebuild")
    if not command:
        raise SpecError(f"{where}.command: must not be empty")
    if "seconds" not in spec:
        raise SpecError(f"{where}.seconds: is required")
    image = spec.get("image")
    if image is not None and command != "create_image":
        raise SpecError(f"{where}.image: only a create_image lock makes an image")
    visible = _typed(spec.get("visible", True), f"{where}.visible", (bool,), "true or false")
    if not visible and (image is not None or spec.get("fail") is not None):
        raise SpecError(f"{where}.visible: an invisible lock has no action, so it takes neither image nor fail")
    return LockSpec(
        command=command,
        seconds=_number(spec["seconds"], f"{where}.seconds"),
        delay=_number(spec.get("delay", 0), f"{where}.delay"),
        image=parse_image_spec(image, f"{where}.image") if image is not None else (ImageSpec() if command == "create_image" and visible else None),
        fail=_fail(spec.get("fail"), f"{where}.fail"),
        visible=visible,
    )


def _snapshot(value: Any, where: str, server_name: str) -> SnapshotSpec:
    spec = _mapping(value, where, ("description", "labels", "age_hours", "protected", "type", "image_size"))
    image_type = spec.get("type", "snapshot")
    if image_type not in _IMAGE_TYPES:
        raise SpecError(f"{where}.type: must be one of {', '.join(_IMAGE_TYPES)}")
    image_size = spec.get("image_size")
    return SnapshotSpec(
        description=_typed(spec.get("description", f"{server_name} snapshot"), f"{where}.description", (str,), "a string"),
        labels=_labels(spec.get("labels"), f"{where}.labels"),
        age_hours=_number(spec.get("age_hours", 24), f"{where}.age_hours"),
        protected=_typed(spec.get("protected", False), f"{where}.protected", (bool,), "true or false"),
        type=image_type,
        image_size=None if image_size is None else _number(image_size, f"{where}.image_size"),
    )


_SERVER_KEYS = ("name", "labels", "status", "server_type", "location", "disk", "backup_window", "image", "protection", "locks", "snapshots")


def _server(value: Any, where: str) -> ServerSpec:
    spec = _mapping(value, where, _SERVER_KEYS)
    name = _typed(spec.get("name"), f"{where}.name", (str,), "a server name")
    if not _HOSTNAME.match(name):
        raise SpecError(f"{where}.name: '{name}' is not a valid hostname (RFC 1123)")
    where = f"servers[{name}]"
    status = spec.get("status", "running")
    if status not in _SERVER_STATUSES:
        raise SpecError(f"{where}.status: must be one of {', '.join(_SERVER_STATUSES)}")
    server_type = spec.get("server_type", "cx22")
    if catalog.server_type(server_type) is None:
        raise SpecError(f"{where}.server_type: unknown server type {server_type!r} (known: {', '.join(t.name for t in catalog.SERVER_TYPES)})")
    location = spec.get("location", "fsn1")
    if catalog.location(location) is None:
        raise SpecError(f"{where}.location: unknown location {location!r} (known: {', '.join(loc.name for loc in catalog.LOCATIONS)})")
    image = spec.get("image", "ubuntu-24.04")
    if catalog.system_image(image) is None:
        raise SpecError(f"{where}.image: unknown system image {image!r}")
    backup_window = spec.get("backup_window")
    if backup_window is not None and not (isinstance(backup_window, str) and _BACKUP_WINDOW.match(backup_window)):
        raise SpecError(f'{where}.backup_window: must be null or a window such as "22-02"')
    disk = spec.get("disk")
    if disk is not None and (isinstance(disk, bool) or not isinstance(disk, int) or disk < 1):
        raise SpecError(f"{where}.disk: must be a positive whole number of GB")
    protection = _mapping(spec.get("protection") or {}, f"{where}.protection", ("delete", "rebuild"))
    locks = spec.get("locks") or []
    snapshots = spec.get("snapshots") or []
    _typed(locks, f"{where}.locks", (list,), "a list")
    _typed(snapshots, f"{where}.snapshots", (list,), "a list")
    return ServerSpec(
        name=name,
        labels=_labels(spec.get("labels"), f"{where}.labels"),
        status=status,
        server_type=server_type,
        location=location,
        disk=disk,
        backup_window=backup_window,
        image=image,
        delete_protected=_typed(protection.get("delete", False), f"{where}.protection.delete", (bool,), "true or false"),
        rebuild_protected=_typed(protection.get("rebuild", False), f"{where}.protection.rebuild", (bool,), "true or false"),
        locks=tuple(parse_lock(item, f"{where}.locks[{index}]") for index, item in enumerate(locks)),
        snapshots=tuple(_snapshot(item, f"{where}.snapshots[{index}]", name) for index, item in enumerate(snapshots)),
    )


def parse_initial_state(data: Any, base_settings: Settings | None = None) -> InitialState:
    """Validate a whole initial state; its ``settings`` apply on top of ``base_settings`` (default: the defaults)."""
    spec = _mapping(data, "state", ("servers", "settings", "pricing"))
    servers_value = spec.get("servers") or []
    _typed(servers_value, "servers", (list,), "a list")
    servers = tuple(_server(item, f"servers[{index}]") for index, item in enumerate(servers_value))
    names = [server.name for server in servers]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SpecError(f"servers: duplicate server name(s) {', '.join(duplicates)}")
    return InitialState(servers=servers, settings=parse_settings(spec.get("settings"), base_settings), pricing=parse_pricing(spec.get("pricing")))


def demo_state(base_settings: Settings | None = None) -> InitialState:
    """The built-in demo project."""
    return parse_initial_state(DEMO_STATE, base_settings)


def generated_state(count: int, seed: int = 0, base_settings: Settings | None = None) -> InitialState:
    """``count`` generated servers (see ``generated_state_spec``)."""
    return parse_initial_state(generated_state_spec(count, seed), base_settings)


def load_initial_state(source: str | int, seed: int = 0, base_settings: Settings | None = None) -> InitialState:
    """Load the initial state named by ``--state``: ``demo``, a number of servers, or a YAML/JSON file."""
    text = str(source).strip()
    if text == "demo":
        return demo_state(base_settings)
    if text.isdigit():
        return generated_state(int(text), seed, base_settings)
    path = Path(text)
    if not path.is_file():
        raise SpecError(f"--state: {text!r} is neither 'demo', a number of servers, nor a readable file")
    try:
        content = path.read_text(encoding="utf-8")
        data = json.loads(content) if path.suffix == ".json" else yaml.safe_load(content)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot be read as {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from exc
    try:
        return parse_initial_state(data, base_settings)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from exc
