"""The sequential snapshot script people write today, with the ``hcloud`` library: the benchmark's baseline.

It lists the servers, then for each in turn polls the server's running actions every ``--poll`` seconds until
there are none, asks for a snapshot, and goes on to the next server without waiting for the snapshot to finish
(like the scripts in the wild; the benchmark watches the simulator to see when the snapshots are available).
It uses the server's own actions (``GET /servers/{id}/actions?status=running``), not the removed global actions
list. Credentials come from ``HCLOUD_TOKEN`` and ``HCLOUD_ENDPOINT``.

    HCLOUD_ENDPOINT=http://127.0.0.1:8765/v1 HCLOUD_TOKEN=sim-token python bench/baseline_script.py --poll 5
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

from hcloud import Client


def snapshot_all(client: Client, poll_seconds: float) -> int:
    """Snapshot every server, one after the other; returns how many snapshots were requested."""
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    requested = 0
    for server in client.servers.get_all():
        while client.servers.get_actions_list(server, status=["running"]).actions:
            time.sleep(poll_seconds)
        client.servers.create_image(server, description=f"{server.name}-{today}", type="snapshot")
        requested += 1
        print(f"{time.time():.3f} requested a snapshot of {server.name}", flush=True)
    return requested


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, say how many snapshots were requested."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between two looks at a locked server's running actions")
    args = parser.parse_args(argv)
    client = Client(token=os.environ["HCLOUD_TOKEN"], api_endpoint=os.environ.get("HCLOUD_ENDPOINT", "https://api.hetzner.cloud/v1"))
    requested = snapshot_all(client, args.poll)
    print(f"requested {requested} snapshots", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
