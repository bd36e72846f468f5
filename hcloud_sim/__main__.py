"""Command line: ``python -m hcloud_sim [--host H] [--port P] [--state demo|N|FILE] [--setting NAME=VALUE] ...``.

``--fleet`` is the older name of ``--state``.

Prints one line when ready (``hcloud_sim listening on http://HOST:PORT/v1 (N servers)``)
and stops cleanly, with exit status 0, on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .http_server import create_server
from .initial_state import load_initial_state
from .settings import SpecError, parse_assignment, parse_settings
from .simulator import Options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m hcloud_sim", description="A local, stateful simulator of the Hetzner Cloud API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--token", default="sim-token", help="the bearer token that may read and write (default: %(default)s)")
    parser.add_argument(
        "--read-only-token", action="append", default=[], metavar="TOKEN", help="a token that may only read: writes answer 403 token_readonly (repeatable)"
    )
    parser.add_argument(
        "--state",
        "--fleet",
        dest="state",
        default="demo",
        help="the project's initial state: 'demo', a number N of generated servers, or a YAML/JSON file (default: %(default)s)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every initial state loaded, unless the state sets it itself, e.g. actions_id_cap=25 (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for generated fleets (default: %(default)s)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default: %(default)s)")
    parser.add_argument("--latency-ms", type=int, default=0, help="milliseconds added to every public request (default: %(default)s)")
    parser.add_argument("--rate-limit", type=int, default=3600, help="requests per hour, the token bucket's size (default: %(default)s)")
    parser.add_argument(
        "--rate-limit-per",
        choices=("project", "token"),
        default="project",
        help="what the rate limit counts: one bucket for the project, or one for each token (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be greater than 0")
    if args.rate_limit < 1:
        parser.error("--rate-limit must be at least 1")
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM."""
    args = parse_args(argv)
    try:
        base_settings = parse_settings(dict(parse_assignment(item) for item in args.setting), where="--setting")
        state = load_initial_state(args.state, args.seed, base_settings)
    except SpecError as exc:
        sys.stderr.write(f"hcloud_sim: invalid initial state or setting: {exc}\n")
        return 2
    options = Options(
        host=args.host,
        port=args.port,
        token=args.token,
        read_only_tokens=tuple(args.read_only_token),
        seed=args.seed,
        speed=args.speed,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        rate_limit_per=args.rate_limit_per,
        base_settings=base_settings,
    )
    try:
        server = create_server(options, state)
    except OSError as exc:
        sys.stderr.write(f"hcloud_sim: cannot listen on {args.host}:{args.port}: {exc}\n")
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    serving = threading.Thread(target=server.serve_forever, name="hcloud_sim", daemon=True)
    serving.start()
    sys.stdout.write(f"hcloud_sim listening on {server.base_url}/v1 ({server.sim.backend.server_count} servers)\n")
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
