"""Reading the end state back from the simulator, and the invariants every scenario run is held to.

The state is read through the control API (``/_sim/state``, ``/_sim/requests``): it is authoritative, it is not
rate limited, and reading it adds nothing to the request log. Nothing here uses the module's own result.

Invariants:

- duplicates: more than one live snapshot (creating or available) per identity, that is server and description;
- wrongly deleted: a snapshot that existed before the run and is gone, though no rotation or deletion of the run
  was allowed to remove it (unmanaged, protected, of another series or server, or not beyond ``keep``);
- writes in check mode: requests other than GET/HEAD in the request log while a check-mode run ran;
- token leaks: the token, in any rendering (``leak_needles``), in any output or in any file a run wrote.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANAGED_LABEL = "lockaware.hcloud/managed"
REQUEST_LABEL = "lockaware.hcloud/request"
LIVE = ("creating", "available")
READ_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class Snap:
    """A live snapshot as the simulator holds it."""

    id: int
    server_id: int
    server_name: str
    description: str
    status: str
    labels: dict[str, str]
    protected: bool
    created: str

    @property
    def managed(self) -> bool:
        """Whether the collection's label marks it as made by the collection."""
        return self.labels.get(MANAGED_LABEL) == "true"

    @property
    def made_by_module(self) -> bool:
        """Whether a run of the module created it (it carries the label unique to the module's request)."""
        return REQUEST_LABEL in self.labels

    @property
    def identity(self) -> tuple[int, str]:
        """Server and description: at most one live snapshot may have them."""
        return self.server_id, self.description

    def show(self) -> str:
        """One line for messages."""
        return f"{self.id} {self.server_name}/{self.description!r} ({self.status}{', protected' if self.protected else ''})"


def snap_from(image: dict[str, Any]) -> Snap:
    """A ``Snap`` from the API's image JSON."""
    created_from = image.get("created_from") or {}
    return Snap(
        id=image["id"],
        server_id=created_from.get("id"),
        server_name=created_from.get("name"),
        description=image.get("description") or "",
        status=image["status"],
        labels=dict(image.get("labels") or {}),
        protected=bool((image.get("protection") or {}).get("delete")),
        created=image.get("created") or "",
    )


def live_snapshots(state: dict[str, Any]) -> dict[int, Snap]:
    """The live snapshots of a ``/_sim/state`` answer, by ID."""
    return {image["id"]: snap_from(image) for image in state["images"] if image["type"] == "snapshot" and image["status"] in LIVE}


def server_ids(state: dict[str, Any]) -> dict[str, int]:
    """Server name -> ID."""
    return {server["name"]: server["id"] for server in state["servers"]}


def read_snapshots(control: Any) -> dict[int, Snap]:
    """The live snapshots now."""
    return live_snapshots(control.state())


def duplicate_groups(snaps: Iterable[Snap]) -> list[list[Snap]]:
    """Groups of more than one live snapshot with the same identity."""
    groups: dict[tuple[int, str], list[Snap]] = defaultdict(list)
    for snap in snaps:
        groups[snap.identity].append(snap)
    return [group for group in groups.values() if len(group) > 1]


def blamed_duplicates(snaps: Iterable[Snap]) -> list[list[Snap]]:
    """Duplicate groups the module is to blame for: one of its snapshots was created after another live one.

    Another client that creates a snapshot blindly, after the module's, makes a duplicate the module cannot prevent.
    """
    blamed = []
    for group in duplicate_groups(snaps):
        first = min(snap.id for snap in group)
        if any(snap.made_by_module and snap.id != first for snap in group):
            blamed.append(group)
    return blamed


def count_duplicates(snaps: Iterable[Snap]) -> int:
    """How many live snapshots too many there are (one per identity is right)."""
    return sum(len(group) - 1 for group in duplicate_groups(snaps))


def utc_today() -> str:
    """Today's UTC date, as the module's default description has it."""
    return f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}"


@dataclass(frozen=True)
class Rotation:
    """A rotation the run may do: the newest ``keep`` available snapshots of the series stay."""

    server_id: int
    labels: dict[str, str]
    keep: int

    def in_series(self, snap: Snap) -> bool:
        """Made by the collection from this server, with every label of the series."""
        return snap.server_id == self.server_id and snap.managed and all(snap.labels.get(key) == value for key, value in self.labels.items())

    def deletable(self, snaps: Iterable[Snap]) -> set[int]:
        """The IDs rotation may delete: available, in the series, beyond the newest ``keep``, not protected."""
        series = sorted((snap for snap in snaps if self.in_series(snap) and snap.status == "available"), key=lambda snap: (snap.created, snap.id), reverse=True)
        return {snap.id for snap in series[self.keep :] if not snap.protected}


@dataclass(frozen=True)
class Removal:
    """A ``state=absent`` the run may do: managed snapshots of this server with this description."""

    server_id: int
    description: str

    def deletable(self, snaps: Iterable[Snap]) -> set[int]:
        """The IDs it may delete."""
        return {snap.id for snap in snaps if snap.server_id == self.server_id and snap.description == self.description and snap.managed and not snap.protected}


@dataclass
class DeletionPolicy:
    """What a run is allowed to delete; by default nothing."""

    rotations: list[Rotation] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)

    def allowed(self, before: dict[int, Snap], after: dict[int, Snap]) -> set[int]:
        """The IDs that may be gone; ``after`` brings the new snapshot into the count of ``keep``."""
        merged = {**before, **after}.values()
        allowed: set[int] = set()
        for rule in [*self.rotations, *self.removals]:
            allowed |= rule.deletable(merged)
        return allowed


def wrongly_deleted(before: dict[int, Snap], after: dict[int, Snap], policy: DeletionPolicy) -> list[Snap]:
    """Snapshots that existed before and are gone, though the policy did not allow it."""
    allowed = policy.allowed(before, after)
    return [snap for snap_id, snap in before.items() if snap_id not in after and snap_id not in allowed]


def writes(requests: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests that may change something (anything but GET and HEAD)."""
    return [entry for entry in requests if entry["method"] not in READ_METHODS]


def show_request(entry: dict[str, Any]) -> str:
    """``POST /v1/servers/1/actions/create_image -> 201`` for messages."""
    fault = f" [{entry['fault']}]" if entry.get("fault") else ""
    return f"{entry['time']} {entry['method']} {entry['path']} -> {entry['status']}{fault}"


# A token this short (after the whitespace around it) is looked for where a leak would put it, not anywhere in a text.
SHORT_TOKEN = 8
LEAK_CONTEXTS = ("Bearer {}", "api_token': '{}'", 'api_token": "{}"', "api_token={}", "HCLOUD_TOKEN={}", 'hcloud_token": "{}"', "hcloud_token: {}")


def token_leaks(token: str, texts: dict[str, str], roots: Iterable[Path] = ()) -> list[str]:
    """Where any rendering of ``token`` (``leak_needles``) appears: the names of the texts, and the files under ``roots``."""
    needles = leak_needles(token)
    encoded = [needle.encode("utf-8") for needle in needles]
    found = [name for name, text in texts.items() if any(needle in text for needle in needles)]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                content = path.read_bytes()
                if any(needle in content for needle in encoded):
                    found.append(str(path))
    return found


def leak_needles(token: str) -> set[str]:
    """Every way the token can show: as given and stripped, URL-encoded, each escaped once and twice (``repr``, JSON,
    a bytes repr: a message quoted in a trace, then dumped as JSON), and in base64 at each alignment (an encoded
    ``Authorization`` header or body). A short token is looked for in the places a leak would put it (``LEAK_CONTEXTS``).
    """
    core = token.strip()
    if not core:
        return set()
    forms = {token, core, urllib.parse.quote(token, safe=""), urllib.parse.quote(core, safe=""), urllib.parse.quote_plus(core)}
    for _level in range(2):
        forms |= {escaped for form in forms for escaped in escaped_forms(form)}
    if len(core) < SHORT_TOKEN:
        return {context.format(form) for form in forms for context in LEAK_CONTEXTS}
    return {form for form in forms if form} | base64_forms(core)


def escaped_forms(text: str) -> set[str]:
    """``text`` as ``repr``, JSON (ASCII or not) and a UTF-8 ``bytes`` repr write it, without the quotes."""
    return {repr(text)[1:-1], json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], repr(text.encode("utf-8"))[2:-1]}


def base64_forms(core: str) -> set[str]:
    """The part of ``base64(prefix + core + suffix)`` that depends on the token alone, for the three alignments."""
    forms = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + core.encode("utf-8")).decode("ascii")
        stable = encoded[4 if shift else 0 : -4]
        if len(stable) >= SHORT_TOKEN:
            forms.add(stable)
    return forms


RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP of an ansible-playbook run, as a scheduler reads it: host -> {ok, changed, failed, ...}."""
    _head, marker, tail = stdout.rpartition("PLAY RECAP")
    hosts: dict[str, dict[str, int]] = {}
    for line in tail.splitlines() if marker else []:
        match = RECAP_LINE.match(line.strip())
        if match:
            pairs = (pair.split("=") for pair in match["counts"].split())
            hosts[match["host"]] = {key: int(value) for key, value in pairs}
    return hosts


def redact(text: str, token: str) -> str:
    """``text`` with the token (any rendering of it, a short one in its contexts) replaced, so that no report shows it."""
    for needle in sorted(leak_needles(token), key=len, reverse=True) if token else ():
        text = text.replace(needle, "<TOKEN>")
    return text
