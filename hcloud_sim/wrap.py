"""Run a command against a simulator started for it: ``python -m hcloud_sim.wrap [SIM ARGS] -- COMMAND ...``.

The command gets ``HCLOUD_ENDPOINT``, ``HCLOUD_TOKEN`` and ``HCLOUD_SIM_URL`` (the base URL
of the control API) in its environment; the simulator stops when it ends, and the exit
status is the command's.
"""

from __future__ import annotations

import os
import subprocess
import sys

from .launcher import SimulatorError, start_simulator


def main(argv: list[str] | None = None) -> int:
    """Start the simulator, run the command, stop the simulator."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" not in args or args.index("--") == len(args) - 1:
        sys.stderr.write("usage: python -m hcloud_sim.wrap [SIMULATOR OPTIONS] -- COMMAND [ARGS...]\n")
        return 2
    split = args.index("--")
    try:
        simulator = start_simulator(args[:split])
    except SimulatorError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    with simulator:
        env = {**os.environ, "HCLOUD_ENDPOINT": simulator.url, "HCLOUD_TOKEN": simulator.token, "HCLOUD_SIM_URL": simulator.base_url}
        return subprocess.call(args[split + 1 :], env=env)


if __name__ == "__main__":
    sys.exit(main())
