"""Scenarios about credentials and endpoints as people keep them: 25 and 26."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import string
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fleets
import observe
from context import RunContext
from harness import FLEET_PLAYBOOK, HOSTS_PLAYBOOK, PlaybookRun, RunningPlaybook, ansible_tool

# Tokens as people hand them over. The accepted ones are added to the simulator's project without the whitespace
# around them (what the collection sends); the refused ones must fail before any request, without being shown.
ACCEPTED = ("padded", "newline", "one", "long")
REFUSED = ("non-ascii", "inner-space")
# How the token reaches the collection: an inventory's vault with the usual indirection (the fleet playbook, the
# hosts playbook), module_defaults and the lookup's options (credentials.yml), the controller's HCLOUD_TOKEN.
WAYS = ("vault-fleet", "vault-hosts", "module-defaults", "env-fleet")
REFUSED_WAYS = {"non-ascii": "vault-fleet", "inner-space": "env-fleet"}
SERVERS_PER_KIND = 2
MISSING = "cred-missing"
NOT_SHOWN = "the token is not shown"


def make_tokens(rng: Any) -> dict[str, str]:
    """One token of each kind, random, so that the leak search finds only what a run leaked."""

    def core() -> str:
        return "cred-" + "".join(rng.choice(string.hexdigits.lower()[:16]) for _index in range(24))

    return {
        "padded": f"  {core()}\t ",  # copied from a web page
        "newline": f"{core()}\n",  # echo "$TOKEN" | ansible-vault encrypt_string
        "one": rng.choice("QJX"),  # one character (a token is not required to look like Hetzner's)
        "long": "".join(rng.choice(string.ascii_letters + string.digits) for _index in range(500)),
        "non-ascii": f"{core()}\u00e9\u20ac",
        "inner-space": f"{core()} {core()}",
    }


def server_names(kind: str) -> list[str]:
    """The servers a kind's run works on (labelled ``cred=<kind>``)."""
    return [f"cred-{kind}-{index}" for index in range(1, SERVERS_PER_KIND + 1)]


def credentials_fleet() -> dict[str, Any]:
    """Two servers per token kind, each kind's labelled apart, so that the runs go side by side."""
    return fleets.fleet([fleets.server(name, labels={"cred": kind}) for kind in (*ACCEPTED, *REFUSED) for name in server_names(kind)])


def write_project(ctx: RunContext, kind: str, token: str) -> Path:
    """An inventory as people keep one: the token encrypted with ansible-vault, referenced through a template.

    ``group_vars/all/vault.yml`` holds ``vault_hcloud_token`` (``ansible-vault encrypt_string --stdin-name``, the
    token on stdin, never on a command line); ``main.yml`` sets ``hcloud_api_token: "{{ vault_hcloud_token }}"``
    and ``hcloud_api_endpoint`` through a template too.
    """
    project = ctx.bench.new_workdir(f"credentials-project-{kind}")
    password = project / "vault-password"
    password.write_text(f"pw-{ctx.rng.getrandbits(64):x}\n", encoding="utf-8")
    password.chmod(0o600)
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {name: dict(local, hcloud_name=name) for name in server_names(kind)}
    inventory = project / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(
        json.dumps({"all": {"hosts": {"localhost": local}, "children": {"cred_hosts": {"hosts": hosts}}}}, indent=1), encoding="utf-8"
    )
    (inventory / "group_vars" / "all" / "main.yml").write_text(
        f'hcloud_api_token: "{{{{ vault_hcloud_token }}}}"\nhcloud_api_endpoint: "{{{{ simulator_endpoint }}}}"\nsimulator_endpoint: {ctx.bench.sim.url}\n',
        encoding="utf-8",
    )
    encrypted = subprocess.run(
        [ansible_tool("ansible-vault"), "encrypt_string", "--vault-password-file", str(password), "--stdin-name", "vault_hcloud_token"],
        input=token,
        capture_output=True,
        text=True,
        env=ctx.bench.environment(project, with_token=False),
        check=True,
        timeout=60,
    )
    (inventory / "group_vars" / "all" / "vault.yml").write_text(encrypted.stdout, encoding="utf-8")
    return project


def start_way(ctx: RunContext, way: str, kind: str, token: str) -> tuple[RunningPlaybook, Path | None]:
    """Start the run of ``way`` with the token of ``kind``, at -vvvv with --diff; returns it and its project dir."""
    label = f"credentials-{kind}-{way}"
    selector = {"label_selector": f"cred={kind}"}
    if way == "env-fleet":
        return ctx.start(FLEET_PLAYBOOK, selector, label=label, token=token, verbosity=4, extra_args=("--diff",)), None
    project = write_project(ctx, kind, token)
    inventory = project / "inventory" / "hosts.yml"
    options: dict[str, Any] = {
        "label": label,
        "with_token": False,
        "verbosity": 4,
        "extra_args": ("-i", str(inventory), "--vault-password-file", str(project / "vault-password"), "--diff"),
        "env": {"HCLOUD_ENDPOINT": None},  # the endpoint too comes from the inventory's template
    }
    if way == "vault-fleet":
        return ctx.start(FLEET_PLAYBOOK, selector, **options), project
    if way == "vault-hosts":
        return ctx.start(HOSTS_PLAYBOOK, {"target": "cred_hosts"}, **options), project
    names = server_names(kind)
    return ctx.start("credentials.yml", {"server": names[0], "missing_server": MISSING, **selector}, **options), project


def check_leaks(ctx: RunContext, run: PlaybookRun, project: Path | None, tokens: dict[str, str]) -> None:
    """No rendering of any of the scenario's tokens in the run's output or in a file it (or its project) holds."""
    roots = [run.workdir] + ([project] if project else [])
    for kind, token in tokens.items():
        leaks = observe.token_leaks(token, {"stdout": run.stdout, "stderr": run.stderr}, roots)
        ctx.outcome.leaks += len(leaks)
        ctx.check(not leaks, f"{run.describe()}: the {kind} token appears in {leaks}")


def check_accepted(ctx: RunContext, way: str, kind: str, run: PlaybookRun) -> None:
    """The run worked with the token as people keep it: exit 0, and the module-defaults run's results as expected."""
    ctx.check_exit_ok(run, f"{kind} token, {way}")
    names = server_names(kind)
    if way != "module-defaults":
        for name in names:
            ctx.expect(name, f"{name}-{observe.utc_today()}")
        return
    ctx.expect(names[0], f"{names[0]}-{observe.utc_today()}")
    ctx.check_ok(run.result("created"), what=f"{kind}: module_defaults snapshot", changed=True)
    ctx.check_ok(run.result("info"), what=f"{kind}: module_defaults snapshot_info")
    ctx.check_failed(run.result("unknown_server"), f"server {MISSING} not found", what=f"{kind}: unknown server")
    ctx.check(sorted(run.result("lookup").get("names", [])) == names, f"{kind}: the lookup with options found {run.result('lookup')}")
    ctx.check_failed(run.result("typo"), "unknown option(s) labelselector", "label_selector", what=f"{kind}: lookup with a typo")


def check_refused(ctx: RunContext, way: str, kind: str, run: PlaybookRun) -> None:
    """The run failed before any request, saying what is wrong with the token without showing it; nothing made."""
    ctx.check_exit_failed(run, f"{kind} token, {way}")
    ctx.check(NOT_SHOWN in run.stdout, f"{kind} token, {way}: the output does not say '{NOT_SHOWN}':\n{run.tail()}")
    for name in server_names(kind):
        ctx.expect(name, f"{name}-{observe.utc_today()}", 0)


def credentials(ctx: RunContext) -> None:
    """25. Credentials as people keep them: vault with inventory indirection, module_defaults, the environment; tokens
    with whitespace around them, a trailing newline, one and 500 characters work; non-ASCII and inner whitespace are
    refused; no rendering of any token in stdout, stderr (-vvvv, --diff), results or files.

    Each run pairs the accepted kinds with the ways in another order (runs 1 to 4 of a suite cover every pair).
    """
    tokens = make_tokens(ctx.rng)
    ctx.reset(credentials_fleet())
    ctx.mark_before()
    for kind in ACCEPTED:
        ctx.control.add_token(tokens[kind].strip())
    plan = [(WAYS[(index + ctx.run_index) % len(WAYS)], kind) for index, kind in enumerate(ACCEPTED)]
    plan += [(REFUSED_WAYS[kind], kind) for kind in REFUSED]
    try:
        started = [(way, kind, *start_way(ctx, way, kind, tokens[kind])) for way, kind in plan]
        for way, kind, running, project in started:
            run = ctx.finish(running)
            check_leaks(ctx, run, project, tokens)
            (check_accepted if kind in ACCEPTED else check_refused)(ctx, way, kind, run)
    finally:
        ctx.control.clear_tokens()
        for token in tokens.values():  # no report shows a token, even one a run leaked
            ctx.outcome.problems[:] = [observe.redact(problem, token) for problem in ctx.outcome.problems]


# 26 ---------------------------------------------------------------------------------------------------------


class Listener(socketserver.ThreadingTCPServer):
    """A second local listener that records every connection made to it (and what arrived first)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.arrived: list[bytes] = []
        super().__init__(("127.0.0.1", 0), ListenerHandler)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.server_address[1])


# What the listener answers: 401, so that a client that got through fails at once instead of retrying.
REFUSAL = b'{"error": {"code": "unauthorized", "message": "second listener", "details": {}}}'
ANSWER = b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(REFUSAL), REFUSAL)


class ListenerHandler(socketserver.BaseRequestHandler):
    """Record the connection and its first bytes, answer 401 and close."""

    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            data = self.request.recv(4096)
        except OSError:
            data = b""
        self.server.arrived.append(data)  # type: ignore[attr-defined]  (before the answer: the self-test reads it then)
        with contextlib.suppress(OSError):
            self.request.sendall(ANSWER)


@contextlib.contextmanager
def listening() -> Iterator[Listener]:
    """A ``Listener`` serving in a thread until the block ends."""
    listener = Listener()
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.shutdown()
        listener.server_close()


def listener_sees(listener: Listener) -> bool:
    """Self-test: a request sent to the listener is recorded (then forgotten)."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", listener.port), timeout=5) as connection:
        connection.sendall(b"GET /self-test HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.recv(1)
    seen = any(b"/self-test" in data for data in listener.arrived)
    listener.arrived.clear()
    return seen


def hostile_endpoints(sim_port: int, other: int) -> list[str]:
    """URLs that parsers read differently, or that a base URL cannot carry; ``other`` is the second listener's port.

    Where one parser sees the simulator and the one that sends would reach the listener, a request that got through
    would show there.
    """
    return [
        rf"http://127.0.0.1:{other}\@127.0.0.1:{sim_port}/v1",  # urllib.parse: the simulator; urllib3: the listener
        rf"http://localhost:{other}\@127.0.0.1:{sim_port}/v1",
        f"http://user:pw@127.0.0.1:{other}/v1",
        f"http://127.0.0.1%2F@127.0.0.1:{other}/v1",
        f"http://%31%32%37.0.0.1:{other}/v1",
        f"http://2130706433:{other}/v1",
        f"http://127.1:{other}/v1",
        f"http://0x7f000001:{other}/v1",
        f"http://0177.0.0.1:{other}/v1",
        f"http://127.0.0.1:{other}:80/v1",
        "http://127.0.0.1:99999/v1",
        "http://127.0.0.1:0/v1",
        f"http://127.0.0.1 :{other}/v1",
        f"http://127.0.0.1:{other}/v\t1",
        f"http://127.0.0.1:{other}/v\n1",
        f"http://localhost.:{other}/v1",
        f"http://127.0.0.1.evil.example:{other}/v1",
        f"http://127.0.0.1:{other}/v1?x=1",
        f"http://127.0.0.1:{other}/v1#x",
        f"http://[::1%25lo]:{other}/v1",
        f"http://127.0.0.1:{other}/v1/../x",
        "http://127.0.0.1:\uff18\uff10/v1",
        f"ftp://127.0.0.1:{other}/v1",
    ]


def each_item(run: PlaybookRun, way: str) -> list[dict[str, Any]]:
    """The per-item results of one looped task."""
    return list((run.result(way) or {}).get("results") or [])


def hostile_endpoints_refused(ctx: RunContext) -> None:
    """26. Hostile or ambiguous endpoints, through the modules' option, HCLOUD_ENDPOINT and the lookup's option and
    variable: each refused with a message, and nothing reaches the simulator or a second local listener.

    A control run with an accepted spelling of the simulator's address shows that requests do reach the log.
    """
    ctx.reset(fleets.fleet([fleets.server("target")]))
    ctx.mark_before()
    ctx.expect("target", f"target-{observe.utc_today()}", 0)
    sim_port = urllib.parse.urlsplit(ctx.bench.sim.url).port or 0
    with listening() as listener:
        ctx.check(listener_sees(listener), "self-test: the second listener did not record a request sent to it")
        endpoints = hostile_endpoints(sim_port, listener.port)
        ctx.control.clear_requests()
        run = ctx.playbook("endpoints.yml", {"endpoints": endpoints, "server": "target"}, label="hostile-endpoints")
        reached_simulator = ctx.control.requests()
        arrived = list(listener.arrived)
    ctx.check(run.rc == 0, f"{run.describe()} failed:\n{run.tail()}")
    ctx.check(not reached_simulator, f"requests reached the simulator: {[observe.show_request(entry) for entry in reached_simulator]}")
    ctx.check(not arrived, f"{len(arrived)} connection(s) reached the second listener: {arrived[:3]}")
    for way in ("as_option", "from_env", "lookup_option", "lookup_variable"):
        items = each_item(run, way)
        ctx.check(len(items) == len(endpoints), f"{way}: {len(items)} results for {len(endpoints)} endpoints")
        for item in items:
            message = str(item.get("msg", ""))
            refused = item.get("failed") and "api_endpoint" in message
            ctx.check(refused, f"{way}: {item.get('item')!r} was not refused with a message about api_endpoint: {message[:300]!r}")
    check_control(ctx, sim_port)


def check_control(ctx: RunContext, sim_port: int) -> None:
    """An accepted spelling of the simulator's address (localhost, a trailing slash) works and shows in the log."""
    ctx.control.clear_requests()
    run = ctx.playbook("endpoints.yml", {"endpoints": [f"http://localhost:{sim_port}/v1/"], "server": "target"}, label="accepted-endpoint")
    ctx.expect("target", f"target-{observe.utc_today()}", 1)
    for way in ("as_option", "from_env", "lookup_option", "lookup_variable"):
        for item in each_item(run, way):
            ctx.check(not item.get("failed"), f"control, {way}: the accepted endpoint failed: {str(item.get('msg'))[:300]!r}")
    ctx.check(ctx.control.requests(), "control: no request of the accepted endpoint shows in the simulator's log")
