"""Scenario 30: a sliced job template as AWX runs it, full size (tests/packaging/test_awx_slices.py is the small one)."""

from __future__ import annotations

import sys

import awx_slices
import observe
from context import RunContext
from harness import sim_seconds
from scenarios_real_api import real_fleet

SLICED_SERVERS = 240
SLICE_COUNT = 4
# Snapshots whose progress stays at 0 for 40 s: each slice's 60 servers want 3 polls every 10 s (the backoff's cap),
# 0.3 a second, more than a whole budget; four slices that did not share it would poll at 4 x 0.25 a second.
SLICED_SNAPSHOT_SECONDS = 40.0
SLICED_TIMEOUT = 420.0
SNAPSHOT_QUOTA = 2000  # the 960 snapshots there before, and 240 new ones
SHOWN = 8  # problems shown one by one; the rest are counted


def sliced_jobs(ctx: RunContext) -> None:
    """30. 240 servers in 4 slices, 4 ansible-runner jobs of snapshot_hosts.yml at once, one budget among them.

    The inventory split as AWX splits it, each slice's job with the slice's inventory and AWX's meta vars, against
    the suite's simulator (3600 an hour): every job successful, every host reported created in its own job's events,
    no 429, the polls of all four replayed from the request log within ONE budget (0.25 a second, one burst of 20),
    RateLimit-Remaining never below three quarters of the limit less the requests that were not polls, one
    snapshot per server, each series rotated to keep 3 exactly, a colleague's snapshot untouched.
    """
    if not ctx.check(awx_slices.RUNNER_PYTHON.exists(), f"no ansible-runner at {awx_slices.RUNNER_PYTHON}: `make packaging` builds it"):
        return
    names = [f"sliced-{index:03d}" for index in range(1, SLICED_SERVERS + 1)]
    ctx.reset(
        real_fleet(awx_slices.server_specs(names), progress="stuck", snapshot_seconds_base=sim_seconds(SLICED_SNAPSHOT_SECONDS), snapshot_quota=SNAPSHOT_QUOTA)
    )
    ctx.mark_before()
    description = f"sliced-{ctx.seed}"
    for name in names:
        ctx.expect(name, description)
        ctx.policy.rotations.append(observe.Rotation(ctx.ids[name], awx_slices.SERIES, awx_slices.KEEP))
    ctx.control.clear_requests()
    extravars = {"description": description, "snapshot_labels": awx_slices.SERIES, "keep": awx_slices.KEEP, "lock_timeout": 120}
    slices = awx_slices.awx_slices(names, SLICE_COUNT)
    root = ctx.bench.new_workdir("awx-slices")
    jobs = awx_slices.run_slices(root, slices, extravars, ctx.bench.sim.url, ctx.bench.token, timeout=SLICED_TIMEOUT)
    requests = ctx.control.requests()
    problems = awx_slices.check_slices(jobs, requests, observe.read_snapshots(ctx.control), description)
    print(f"scenario 30 [{ctx.seed}] {awx_slices.summary(requests)}", file=sys.stderr)
    for problem in problems[:SHOWN]:
        ctx.check(False, problem)
    ctx.check(len(problems) <= SHOWN, f"... and {len(problems) - SHOWN} more problems")
