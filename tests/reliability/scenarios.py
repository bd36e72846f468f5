"""The scenarios by number (17 to 21: the real API's behaviours; 24 to 27 and 30: the collection as it is operated): what
each is called, the function that runs it, and the fast subset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import scenarios_cancel
import scenarios_credentials
import scenarios_drill
import scenarios_faults
import scenarios_locks
import scenarios_operated
import scenarios_real_api
import scenarios_restore
import scenarios_retention
import scenarios_safety
import scenarios_slices
import scenarios_steady
from context import RunContext


@dataclass(frozen=True)
class Scenario:
    """One scenario: run once per run of the suite with a fresh, seeded context.

    ``seconds`` is about what one run takes (measured on a 2-core machine): the suite starts the longest first, so
    that its lanes finish together.
    """

    number: int
    slug: str
    title: str
    run: Callable[[RunContext], None]
    seconds: float
    fast: bool = False

    @property
    def label(self) -> str:
        """``3. race on create_image`` for the table."""
        return f"{self.number}. {self.title}"


SCENARIOS = (
    Scenario(1, "lock-wait", "lock held 5-30 s: waits", scenarios_locks.lock_waits, 28),
    Scenario(2, "lock-timeout", "lock outlasts lock_timeout; skip; fail", scenarios_locks.lock_outlasts_timeout, 9),
    Scenario(3, "race", "race for create_image (423, retry)", scenarios_locks.create_race, 15, fast=True),
    Scenario(4, "ambiguous-create", "create applied, then 5xx or dropped", scenarios_faults.ambiguous_create, 12, fast=True),
    Scenario(5, "rate-limit", "429 for a stretch", scenarios_faults.rate_limited, 20),
    Scenario(6, "transient-reads", "transient 5xx on reads", scenarios_faults.transient_reads, 21),
    Scenario(7, "action-fails", "snapshot action fails; rerun", scenarios_faults.action_fails, 14),
    Scenario(8, "controller-killed", "controller killed mid-wait; rerun", scenarios_locks.controller_killed, 17),
    Scenario(9, "concurrent-runs", "two playbook runs at once", scenarios_locks.concurrent_runs, 13),
    Scenario(10, "rotation", "rotation with keep, DELETE fails", scenarios_faults.rotation, 16, fast=True),
    Scenario(11, "quota", "snapshot quota reached", scenarios_faults.quota, 4),
    Scenario(12, "server-gone", "server deleted mid-run or never there", scenarios_locks.server_gone, 17),
    Scenario(13, "bad-input", "bad input: no write", scenarios_safety.bad_input, 13, fast=True),
    Scenario(14, "token", "token never shown (-vvv)", scenarios_safety.token_never_shown, 16, fast=True),
    Scenario(15, "check-mode", "check mode: no write", scenarios_safety.check_mode, 13, fast=True),
    Scenario(16, "load", "load: 200 servers, a fifth locked, 30 forks", scenarios_locks.load, 40),
    Scenario(17, "id-cap", "actions_id_cap 25: 60 servers seen in time", scenarios_real_api.id_cap_fleet, 30),
    Scenario(18, "failed-image", "failed image left unavailable: adopt, match, keep", scenarios_real_api.failed_image, 30),
    Scenario(19, "invisible-lock", "invisible lock, action ending in locked", scenarios_real_api.invisible_lock, 25),
    Scenario(20, "progress-stuck", "progress stuck: 100 servers within the 0.25 req/s budget", scenarios_real_api.progress_stuck, 75),
    Scenario(21, "api-2026", "no datacenters, no deprecated calls, read-only token", scenarios_real_api.api_2026, 40),
    Scenario(22, "steady-churn", "steady state, keep 7, 200 servers, another client churning", scenarios_steady.steady_churn, 60),
    Scenario(23, "retention-year", "retention rules over a year of history, 20 servers", scenarios_retention.retention_year, 60),
    Scenario(24, "cancel", "cancelled with shutdown: SIGINT, SIGTERM, killed, runner cancel; rerun", scenarios_cancel.cancel, 90, fast=True),
    Scenario(25, "credentials", "credentials as people keep them: vault, module_defaults, env; odd tokens", scenarios_credentials.credentials, 18, fast=True),
    Scenario(26, "hostile-endpoints", "hostile endpoints refused before any request", scenarios_credentials.hostile_endpoints_refused, 15, fast=True),
    Scenario(27, "exit-status", "exit status and recap: every failure kind, 3 playbooks", scenarios_operated.exit_status, 60, fast=True),
    Scenario(28, "rollback", "rollback: own snapshot only, lost answer rebuilds once, rerun, protected untouched", scenarios_restore.rollback, 30),
    Scenario(29, "drill-cancel", "restore drill cancelled: SIGINT, SIGTERM, killed; rerun leaves no scratch server", scenarios_drill.drill_cancel, 60),
    Scenario(30, "awx-slices", "sliced job: 240 servers in 4 ansible-runner slices at once, one budget", scenarios_slices.sliced_jobs, 120),
)


def select(names: str | None, fast: bool) -> list[Scenario]:
    """The scenarios named (numbers or slugs, comma-separated), else the fast subset or all of them."""
    if names:
        wanted = {name.strip() for name in names.split(",") if name.strip()}
        chosen = [scenario for scenario in SCENARIOS if str(scenario.number) in wanted or scenario.slug in wanted]
        unknown = wanted - {str(scenario.number) for scenario in chosen} - {scenario.slug for scenario in chosen}
        if unknown:
            raise ValueError(f"unknown scenario(s) {sorted(unknown)}; known: {', '.join(f'{item.number}/{item.slug}' for item in SCENARIOS)}")
        return chosen
    return [scenario for scenario in SCENARIOS if scenario.fast] if fast else list(SCENARIOS)
