"""Scenarios about input, secrets and check mode: 13, 14 and 15."""

from __future__ import annotations

from typing import Any

import fleets
import observe
from context import RunContext, case
from harness import FLEET_PLAYBOOK


def bad_inputs(server: str) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """Bad input: (name, the module's arguments, what the failure message must say)."""
    return [
        ("keep 0", {"server": server, "keep": 0}, ("keep must be 1 or more",)),
        ("keep negative", {"server": server, "keep": -3}, ("keep must be 1 or more",)),
        ("keep without wait", {"server": server, "keep": 2, "wait": False}, ("keep needs wait=true",)),
        ("protect without wait", {"server": server, "protect": True, "wait": False}, ("protect needs wait=true",)),
        ("shutdown without wait", {"server": server, "shutdown": True, "wait": False}, ("shutdown needs wait=true",)),
        ("negative lock_timeout", {"server": server, "lock_timeout": -1}, ("lock_timeout must be zero or more",)),
        ("negative wait_timeout", {"server": server, "wait_timeout": -5}, ("wait_timeout must be zero or more",)),
        ("negative shutdown_timeout", {"server": server, "shutdown": True, "shutdown_timeout": -1}, ("shutdown_timeout must be zero or more",)),
        ("negative request_timeout", {"server": server, "request_timeout": -1}, ("request_timeout must be a positive number",)),
        ("invalid label key", {"server": server, "labels": {"bad key!": "x"}}, ("invalid key 'bad key!'",)),
        ("label key without prefix", {"server": server, "labels": {"/name": "x"}}, ("invalid key '/name'",)),
        ("reserved label key", {"server": server, "labels": {"lockaware.hcloud/managed": "false"}}, ("reserved",)),
        ("invalid label value", {"server": server, "labels": {"ok": "-bad"}}, ("invalid value '-bad'",)),
        ("label value too long", {"server": server, "labels": {"ok": "x" * 64}}, ("invalid value",)),
        ("max_age not a duration", {"server": server, "max_age": "soon"}, ("max_age must be a number of seconds or a duration",)),
        ("max_age zero", {"server": server, "max_age": "0"}, ("max_age must be greater than zero",)),
        ("force with max_age", {"server": server, "force": True, "max_age": "1h"}, ("force and max_age contradict",)),
        ("absent with keep", {"server": server, "state": "absent", "keep": 1}, ("keep only applies to state=present",)),
        ("absent with force", {"server": server, "state": "absent", "force": True}, ("force only applies to state=present",)),
        ("server and servers", {"server": server, "servers": [server]}, ("mutually exclusive",)),
        ("neither server nor servers", {"description": "x"}, ("one of the following is required",)),
        ("empty server", {"server": " "}, ("server must be the name or id",)),
        ("empty description", {"server": server, "description": " "}, ("description must not be empty",)),
        ("concurrency 0", {"servers": [server], "concurrency": 0}, ("concurrency must be 1 or more",)),
        ("unknown on_locked", {"server": server, "on_locked": "maybe"}, ("on_locked",)),
        ("unknown option", {"server": server, "colour": "red"}, ("unsupported parameters", "colour")),
        ("unknown server", {"server": "no-such-server"}, ("server no-such-server not found",)),
        ("nonexistent ID", {"server": "987654"}, ("server 987654 not found",)),
        ("wrong token", {"server": server, "api_token": "wrong-token"}, ("unauthorized",)),
        ("bad endpoint", {"server": server, "api_endpoint": "ftp://example.invalid"}, ("api_endpoint must be an http:// or https:// url",)),
    ]


def bad_input(ctx: RunContext) -> None:
    """13. Bad input: each a clear error, and no write request at all (the simulator's request log shows none).

    Each run tries a third of the bad inputs (runs 1, 2 and 3 of a suite cover all of them) and a missing token.
    """
    name = "target"
    ctx.reset(fleets.fleet([fleets.server(name)]))
    ctx.mark_before()
    ctx.expect(name, f"{name}-{observe.utc_today()}", 0)
    # A third of the table per run (the runs of a suite together cover all of it), in a seeded order.
    table = bad_inputs(name)[ctx.run_index % 3 :: 3]
    ctx.rng.shuffle(table)
    tokenless_cases = [case("missing token", server=name), case("empty token", server=name, api_token="")]
    runs = [
        ctx.start("snapshot.yml", {"cases": [case(label, **args) for label, args, _needles in table]}, label="bad-input"),
        ctx.start("snapshot.yml", {"cases": tokenless_cases}, with_token=False, label="no-token"),
    ]
    results, tokenless = (ctx.finish(running) for running in runs)
    for label, _args, needles in table:
        ctx.check_failed(results.result(label), *needles)
    ctx.check_failed(tokenless.result("missing token"), "api_token")
    ctx.check_failed(tokenless.result("empty token"), "HCLOUD_TOKEN")
    written = observe.writes(ctx.control.requests())
    ctx.check(not written, f"bad input led to write requests: {[observe.show_request(entry) for entry in written]}")
    ctx.check(not observe.read_snapshots(ctx.control), "bad input made a snapshot")


def token_never_shown(ctx: RunContext) -> None:
    """14. The token never appears in stdout/stderr at -vvv, in failure results, or in files a run writes."""
    name, forbidden, missing = "leak", "leak-forbidden", "leak-missing"
    ctx.reset(fleets.fleet([fleets.server(name), fleets.server(forbidden)]))
    ctx.control.faults(
        [{"method": "POST", "path_regex": ctx.create_path(forbidden), "status": 403, "code": "forbidden", "message": "insufficient permissions", "times": 0}]
    )
    ctx.mark_before()
    for description in ("token-option", "from-env", "fleet"):
        ctx.expect(name, f"{name}-{description}")
    run = ctx.playbook("token_paths.yml", {"server": name, "missing_server": missing, "forbidden_server": forbidden}, label="token-paths")
    ctx.check(run.rc == 0, f"{run.describe()} failed:\n{run.tail()}")
    ctx.check("ESTABLISH LOCAL CONNECTION" in run.stdout, "the run's output is not at -vvv")
    ctx.check_ok(run.result("as_option"), what="token as an option", changed=True)
    ctx.check_ok(run.result("from_env_check"), what="check mode", changed=True)
    ctx.check_ok(run.result("from_env"), what="token from the environment", changed=True)
    ctx.check_failed(run.result("unknown_server"), f"server {missing} not found", what="unknown server")
    ctx.check_failed(run.result("refused_token"), "unauthorized", what="refused token")
    ctx.check_failed(run.result("forbidden"), "forbidden", what="create_image refused")
    ctx.check_failed(run.result("fleet"), f"failed: {missing}", what="servers with one missing")
    ctx.check(run.result("refused_lookup").get("failed"), "the lookup with a refused token did not fail")
    ctx.check(name in run.result("lookup").get("names", []), "the lookup did not list the servers")


def check_mode_fleet(ctx: RunContext) -> dict[str, Any]:
    """Servers for the check-mode scenario: plain, locked, being snapshotted by another client, a series, an off one."""
    managed = {**fleets.MANAGED, "series": "nightly"}
    series = [fleets.snapshot(f"rota-old-{index}", managed, 24 * (index + 1)) for index in range(3)]
    series += [fleets.snapshot("rota-protected", managed, 200, protected=True), fleets.snapshot("rota-manual", {"series": "nightly"}, 300)]
    absent = [fleets.snapshot("absent-me", fleets.MANAGED, 5), fleets.snapshot("keep-me", fleets.MANAGED, 6, protected=True)]
    servers = [
        fleets.server("plain"),
        fleets.server("locked"),
        fleets.server("adopting"),
        fleets.server("rota", snapshots=series),
        fleets.server("stopped", status="off"),
        fleets.server("absent", snapshots=absent),
    ]
    return fleets.fleet(servers)


def check_mode_cases(ctx: RunContext) -> list[dict[str, Any]]:
    """The scenarios above, in check mode."""
    series = {"series": "nightly"}
    return [
        case("create", server="plain", description="plain-check"),
        case("shutdown", server="plain", description="plain-check", shutdown=True),
        case("force and protect", server="plain", description="plain-check", force=True, protect=True),
        case("locked wait", server="locked", description="locked-check"),
        case("locked skip", server="locked", description="locked-check", on_locked="skip"),
        case("locked fail", server="locked", description="locked-check", on_locked="fail"),
        case("adopt", server="adopting", description="adopting-other"),
        case("rotate", server="rota", description="rota-check", labels=series, keep=1),
        case("off server", server="stopped", description="stopped-check", shutdown=True),
        case("absent", server="absent", description="absent-me", state="absent"),
        case("absent protected", server="absent", description="keep-me", state="absent"),
        case("servers", servers=["plain", "locked", "rota", "stopped"], description="fleet-check", labels=series, keep=1, on_locked="skip"),
        case("bad input", server="plain", keep=0),
        case("unknown server", server="nowhere"),
        case("quota", server="plain", description="plain-quota", token_option=True),
    ]


def check_mode(ctx: RunContext) -> None:
    """15. Check mode across the scenarios above (locks, adoption, rotation, absent, faults, quota, fleets): no write request."""
    ctx.reset(check_mode_fleet(ctx))
    ctx.control.lock("locked", **fleets.lock_body(ctx.rng.choice(fleets.LOCK_KINDS), 120))
    ctx.control.lock("adopting", **fleets.lock_body("snapshot", 120, description="adopting-other"))
    ctx.control.settings(snapshot_quota=len(observe.read_snapshots(ctx.control)))
    status = ctx.rng.choice((500, 502, 503, 504))
    ctx.control.faults(
        [
            {"method": "GET", "path_regex": r"^/v1/", "status": status, "code": "server_error", "times": ctx.rng.randint(1, 3)},
            {"method": "GET", "path_regex": r"^/v1/", "status": 429, "code": "rate_limit_exceeded", "times": ctx.rng.randint(1, 2)},
        ]
    )
    ctx.mark_before()
    ctx.expect("plain", "plain-check", 0)
    ctx.expect("rota", "rota-check", 0)
    cases = check_mode_cases(ctx)
    fleet_vars = {"keep": 1, "on_locked": "skip", "snapshot_labels": {"series": "nightly"}}
    hosts = {"check-1": {"cases": cases[::2]}, "check-2": {"cases": cases[1::2]}}
    run, fleet = ctx.check_runs(
        [{"playbook": "snapshot.yml", "label": "check-mode", "hosts": hosts}, {"playbook": FLEET_PLAYBOOK, "extra_vars": fleet_vars, "label": "fleet-check"}]
    )
    expectations = {"create": "would create", "locked wait": "would wait for", "adopt": "adopted", "rotate": "would delete", "absent": "would delete 1"}
    for name, needle in expectations.items():
        result = run.result(name)
        ctx.check_ok(result)
        ctx.check(needle in str(result.get("msg")), f"{name}: check mode does not say {needle!r}: {result.get('msg')!r}")
    ctx.check_ok(run.result("locked skip"), skipped=True, changed=False)
    for name in ("locked fail", "absent protected", "bad input", "unknown server"):
        ctx.check_failed(run.result(name))
    ctx.check(fleet.rc == 0, f"{fleet.describe()} failed:\n{fleet.tail()}")
    after = observe.read_snapshots(ctx.control)
    ctx.check(set(after) == set(ctx.before), f"check mode changed the snapshots: {sorted(set(after) ^ set(ctx.before))}")
