"""27. The exit status and the recap that cron, AWX and CI read: every failure kind the suite injects, through the
sample playbooks and a play using the role, exits non-zero with the failed host in the recap.

Each (failure kind, playbook) pair has a server of its own, so that the runs go side by side: a failing server and
a healthy one in every run (a failure must not hide behind a success).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fleets
import observe
from context import RunContext
from harness import FLEET_PLAYBOOK, HOSTS_PLAYBOOK, RunningPlaybook

PLAYBOOKS = ("fleet", "hosts", "role")
SIDE_BY_SIDE = 4  # runs at once (2 cores)
SERIES_LABELS = {**fleets.MANAGED}


@dataclass(frozen=True)
class FailureKind:
    """One way a night goes wrong: the server spec it needs, what to do before the runs, and what the runs get."""

    name: str
    playbooks: tuple[str, ...] = PLAYBOOKS
    server_extra: dict[str, Any] = field(default_factory=dict)
    prepare: Callable[[RunContext, str], None] | None = None
    extra_vars: dict[str, Any] = field(default_factory=dict)
    read_only: bool = False
    exists: bool = True
    needle: str = ""  # what the failure message must say


def _lock(ctx: RunContext, server: str) -> None:
    ctx.control.lock(server, **fleets.lock_body("rebuild", 120))


def _fail_action(ctx: RunContext, server: str) -> None:
    ctx.control.action_fault("create_image", times=0, code="image_failed", message="snapshot failed", server=server)


def _fail_create(ctx: RunContext, server: str) -> None:
    ctx.control.faults([{"method": "POST", "path_regex": ctx.create_path(server), "mode": "respond", "status": 503, "code": "unavailable", "times": 0}])


def _fail_delete(ctx: RunContext, server: str) -> None:
    images = [image for image in ctx.control.state()["images"] if (image.get("created_from") or {}).get("id") == ctx.ids[server]]
    rule = {"method": "DELETE", "mode": "respond", "status": 500, "code": "server_error", "times": 0}
    ctx.control.faults([dict(rule, path_regex=rf"^/v1/images/{image['id']}$") for image in images])


KINDS = (
    FailureKind("readonly", read_only=True, needle="read-only"),
    FailureKind("locked", prepare=_lock, extra_vars={"lock_timeout": 2}, needle="still locked"),
    FailureKind("action", prepare=_fail_action, needle="failed"),
    FailureKind("create5xx", prepare=_fail_create, needle="unavailable"),
    FailureKind(
        "delete",
        server_extra={"snapshots": [fleets.snapshot(f"old-{age}", SERIES_LABELS, age_hours=24.0 * age) for age in (2, 3)]},
        prepare=_fail_delete,
        extra_vars={"keep": 1},
        needle="deleting snapshot",
    ),
    FailureKind("badinput", extra_vars={"keep": -2}, needle="keep must be 1 or more"),
    FailureKind("gone", playbooks=("hosts", "role"), exists=False, needle="not found"),
)


def server_name(kind: FailureKind, playbook: str) -> str:
    """The server (and inventory host) of one pair."""
    return f"{kind.name}-{playbook}"


def healthy_name(kind: FailureKind, playbook: str) -> str:
    """The healthy server that runs beside it."""
    return f"ok-{kind.name}-{playbook}"


def chosen_kinds(ctx: RunContext) -> list[FailureKind]:
    """Every kind; in the fast subset a seeded three of them (the full suite tries all)."""
    kinds = list(KINDS)
    return ctx.rng.sample(kinds, 3) if ctx.fast else kinds


def start_run(ctx: RunContext, kind: FailureKind, playbook: str) -> RunningPlaybook:
    """One playbook run over the pair's failing server and its healthy neighbour, as a user starts it."""
    names = [server_name(kind, playbook), healthy_name(kind, playbook)]
    token = ctx.bench.read_only_token if kind.read_only else None
    label = f"exit-{kind.name}-{playbook}"
    if playbook == "fleet":
        selector = {"label_selector": f"pair={kind.name}-{playbook}"}
        return ctx.start(FLEET_PLAYBOOK, dict(kind.extra_vars, **selector), label=label, token=token, verbosity=0)
    hosts = {name: {} for name in names}
    path = HOSTS_PLAYBOOK if playbook == "hosts" else "role_play.yml"
    return ctx.start(path, dict(kind.extra_vars), label=label, token=token, hosts=hosts, verbosity=0)


def exit_status(ctx: RunContext) -> None:
    """27. None of the failure kinds exits 0; the healthy server beside each failing one gets its snapshot all the same
    (but where the task cannot start at all: bad input)."""
    kinds = chosen_kinds(ctx)
    servers = []
    for kind in kinds:
        for playbook in kind.playbooks:
            pair = {"pair": f"{kind.name}-{playbook}", "backup": "daily"}
            if kind.exists:
                servers.append(fleets.server(server_name(kind, playbook), labels=pair, **kind.server_extra))
            servers.append(fleets.server(healthy_name(kind, playbook), labels=pair))
    ctx.reset(fleets.fleet(servers))
    ctx.mark_before()
    for kind in kinds:
        for playbook in kind.playbooks:
            if kind.prepare is not None:
                kind.prepare(ctx, server_name(kind, playbook))
    pairs = [(kind, playbook) for kind in kinds for playbook in kind.playbooks]
    for start in range(0, len(pairs), SIDE_BY_SIDE):
        batch = pairs[start : start + SIDE_BY_SIDE]
        runnings = [(kind, playbook, start_run(ctx, kind, playbook)) for kind, playbook in batch]
        for kind, playbook, running in runnings:
            run = ctx.finish(running)
            ctx.check_exit_failed(run, f"{kind.name} through {playbook}")
            ctx.check(kind.needle.lower() in run.stdout.lower(), f"{kind.name} through {playbook}: the output does not say {kind.needle!r}:\n{run.tail()}")
            check_healthy_neighbour(ctx, kind, playbook, run)


def check_healthy_neighbour(ctx: RunContext, kind: FailureKind, playbook: str, run: Any) -> None:
    """The healthy server of the run got its snapshot (none where the options were bad, or the token read-only)."""
    healthy = healthy_name(kind, playbook)
    made = not (kind.read_only or kind.name == "badinput")
    ctx.expect(healthy, f"{healthy}-{observe.utc_today()}", int(made))
    recap = observe.recap(run.stdout)
    if playbook != "fleet" and made:
        ctx.check(not recap.get(healthy, {}).get("failed"), f"{kind.name} through {playbook}: the healthy host {healthy} failed too: {recap}")
