"""Delete a backup as soon as the simulator's request log shows a listing of backups (the task's), while the task's
conversion of it is held back by a delay fault: a backup that disappears between listing and conversion.

Usage: delete_when_listed.py SIM_URL API_ENDPOINT IMAGE_ID (the token in HCLOUD_TOKEN). Exits 0 once deleted, 1 if the
listing never came within 20 seconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request


def call(url: str, method: str = "GET") -> dict:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {os.environ['HCLOUD_TOKEN']}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
    return json.loads(body) if body else {}


def main(sim_url: str, endpoint: str, image_id: str) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        requests = call(f"{sim_url}/_sim/requests")["requests"]
        if any(entry["path"] == "/v1/images" and "backup" in entry["query"].get("type", []) for entry in requests):
            call(f"{endpoint}/images/{image_id}", "DELETE")
            return 0
        time.sleep(0.05)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
