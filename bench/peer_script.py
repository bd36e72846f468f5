"""The peer: the concurrent snapshot script a skilled user writes with the ``hcloud`` library (2.x), keep N.

Design (what a competent author does, with the library's own tools and nothing of this collection's):

- One ``hcloud.Client`` shared by every thread (the library's session is safe to share for these calls), with
  the library's action waiting tuned for snapshots: ``poll_interval`` is the library's own
  ``exponential_backoff_function`` (1 s doubling to ``--poll-cap`` seconds, 10 s by default like the collection's
  own poll backoff; no jitter, whose "full jitter" would poll about twice as often at the cap), and
  ``poll_max_retries`` high enough for a snapshot of many minutes (the library's defaults, a constant 1 s and
  120 retries, would give up on a snapshot of over two minutes). The
  library itself retries 429 ``rate_limit_exceeded`` and ``conflict`` with its backoff.
- The servers are listed once, by label selector (``client.servers.get_all``), then worked on by a thread pool of
  ``--workers`` threads (256 by default: the collection's default concurrency, so that both work on every server
  of a 200-server fleet at once).
- Per server: wait for the lock the way the library offers, by the server's running actions
  (``client.servers.get_actions_list(server, status=["running"])``) and ``action.wait_until_finished()`` on each,
  until there are none; then ``create_image`` (a 423 ``locked`` that slips in between, e.g. a lock that shows no
  action, is waited out and retried); then ``response.action.wait_until_finished()`` for the snapshot.
- Rotation, only once the new snapshot is available: one fresh listing of the server's series
  (``client.images.get_all(type="snapshot", label_selector=<series labels>, sort="created:desc")``), the newest
  ``--keep`` available snapshots stay, older unprotected ones are deleted (``image.delete()``); snapshots still
  being created, protected ones and any without the series labels are never touched.
- The series labels are the collection's (``lockaware.hcloud/managed=true``, ``lockaware.hcloud/server=<id>``),
  so that the script rotates the same series the benchmark's steady state holds, and the same checks apply
  afterwards.
- Cheaper than the collection in one respect, in the peer's favour: it does not look for an existing snapshot of
  today before creating one (a re-run the same day makes another; rotation trims it), and it sends no request
  label to find a create whose answer was lost.

    HCLOUD_ENDPOINT=http://127.0.0.1:8765/v1 HCLOUD_TOKEN=sim-token python bench/peer_script.py --keep 7
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from hcloud import APIException, Client, exponential_backoff_function
from hcloud.images import BoundImage, CreateImageResponse
from hcloud.servers import BoundServer

MANAGED = "lockaware.hcloud/managed"
SERVER = "lockaware.hcloud/server"
LOCKED_RETRIES = 30


def series_labels(server: BoundServer) -> dict[str, str]:
    """The labels of this server's series."""
    return {MANAGED: "true", SERVER: str(server.id)}


def wait_for_lock(client: Client, server: BoundServer) -> None:
    """Until the server runs no action: each running action waited for with the library's own waiting."""
    while True:
        running = client.servers.get_actions_list(server, status=["running"]).actions
        if not running:
            return
        for action in running:
            with contextlib.suppress(APIException):  # an action that failed or went away releases the lock all the same
                action.wait_until_finished()


def create_snapshot(client: Client, server: BoundServer, description: str) -> CreateImageResponse:
    """``create_image`` once the server is free; a 423 that slips in between is waited out and retried."""
    for attempt in range(LOCKED_RETRIES):
        wait_for_lock(client, server)
        try:
            return client.servers.create_image(server, description=description, type="snapshot", labels=series_labels(server))
        except APIException as exc:
            if exc.code != "locked":
                raise
            time.sleep(min(10.0, 2.0**attempt))  # a lock that shows no action: back off and look again
    raise RuntimeError(f"{server.name}: still locked after {LOCKED_RETRIES} tries")


def rotate(client: Client, server: BoundServer, keep: int) -> int:
    """Delete the series' available snapshots older than the newest ``keep``; returns how many were deleted."""
    selector = ",".join(f"{key}={value}" for key, value in series_labels(server).items())
    images = client.images.get_all(type=["snapshot"], label_selector=selector, sort=["created:desc", "id:asc"])
    ours: list[BoundImage] = [
        image for image in images if image.status == "available" and image.created_from is not None and image.created_from.id == server.id
    ]
    deleted = 0
    for image in ours[keep:]:
        if image.protection.get("delete"):
            continue
        try:
            image.delete()
            deleted += 1
        except APIException as exc:
            if exc.code != "not_found":  # deleted by someone else meanwhile: fine
                raise
    return deleted


def snapshot_server(client: Client, server: BoundServer, keep: int, today: str) -> str:
    """One server: wait for its lock, snapshot it, wait for the snapshot, rotate its series."""
    response = create_snapshot(client, server, f"{server.name}-{today}")
    response.action.wait_until_finished()
    deleted = rotate(client, server, keep) if keep else 0
    return f"{time.time():.3f} {server.name}: snapshot {response.image.id} available, {deleted} deleted"


def main(argv: list[str] | None = None) -> int:
    """Parse the options, snapshot every selected server concurrently, report failures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=int, default=7, help="snapshots of each server's series to keep (0: no rotation)")
    parser.add_argument("--label-selector", default="", help="which servers (default: all)")
    parser.add_argument("--workers", type=int, default=256, help="threads (default: 256)")
    parser.add_argument("--poll-cap", type=float, default=10.0, help="longest wait between two polls of an action, seconds (default: 10)")
    args = parser.parse_args(argv)
    client = Client(
        token=os.environ["HCLOUD_TOKEN"],
        api_endpoint=os.environ.get("HCLOUD_ENDPOINT", "https://api.hetzner.cloud/v1"),
        poll_interval=exponential_backoff_function(base=1.0, multiplier=2, cap=args.poll_cap, jitter=False),
        poll_max_retries=10_000,
    )
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    servers = client.servers.get_all(label_selector=args.label_selector or None)
    failures = 0
    with ThreadPoolExecutor(max_workers=max(1, min(args.workers, len(servers) or 1))) as pool:
        futures = {pool.submit(snapshot_server, client, server, args.keep, today): server.name for server in servers}
        for future, name in futures.items():
            try:
                print(future.result(), flush=True)
            except Exception as exc:  # report every server, then fail
                failures += 1
                print(f"{name}: FAILED: {exc}", flush=True)
    print(f"{len(servers) - failures} of {len(servers)} servers snapshotted", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
