"""Unit tests of the rate limit's token bucket, with a fake clock."""

from __future__ import annotations

import math
import threading

import pytest
import requests

from hcloud_sim.__main__ import parse_args
from hcloud_sim.clock import FakeClock
from hcloud_sim.http_server import create_server
from hcloud_sim.initial_state import parse_initial_state
from hcloud_sim.ratelimit import TokenBucket
from hcloud_sim.simulator import Options


def test_bucket_drains_and_refills_one_per_second_at_3600() -> None:
    clock = FakeClock(start=1_000_000.0)
    bucket = TokenBucket(3600, clock)
    first = bucket.take()
    assert first.allowed
    assert first.remaining == 3599
    assert first.reset == 1_000_001
    for _attempt in range(3599):
        assert bucket.take().allowed
    empty = bucket.take()
    assert not empty.allowed
    assert empty.remaining == 0
    assert empty.reset == 1_000_000 + 3600
    clock.advance(1.0)
    again = bucket.take()
    assert again.allowed
    assert again.remaining == 0
    clock.advance(10.0)
    assert bucket.peek().remaining == 10


def test_small_bucket_refills_at_limit_per_hour() -> None:
    clock = FakeClock(start=2_000_000.0)
    bucket = TokenBucket(5, clock)
    states = [bucket.take() for _attempt in range(6)]
    assert [state.allowed for state in states] == [True] * 5 + [False]
    assert [state.remaining for state in states] == [4, 3, 2, 1, 0, 0]
    # 5 per hour = one token every 720 s; the bucket is full again 5 * 720 s after the last take
    assert states[-1].reset == 2_000_000 + 3600
    clock.advance(719)
    assert not bucket.take().allowed
    clock.advance(1)
    assert bucket.take().allowed


def test_headers_and_reset() -> None:
    clock = FakeClock(start=3_000_000.5)
    bucket = TokenBucket(100, clock)
    state = bucket.take()
    assert state.headers() == {"RateLimit-Limit": "100", "RateLimit-Remaining": "99", "RateLimit-Reset": str(math.ceil(3_000_000.5 + 36))}
    bucket.reset()
    assert bucket.peek().remaining == 100
    assert bucket.peek().reset == math.ceil(3_000_000.5)


def test_tokens_never_exceed_the_limit() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock)
    clock.advance(100_000)
    assert bucket.peek().remaining == 10


def _remaining_of(base_url: str, token: str) -> int:
    answer = requests.get(f"{base_url}/v1/servers", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200
    return int(answer.headers["RateLimit-Remaining"])


@pytest.mark.parametrize(("per", "expected"), [("project", [99, 98, 97, 96]), ("token", [99, 98, 99, 97])])
def test_the_rate_limit_counts_per_project_or_per_token(per: str, expected: list[int]) -> None:
    """By default the project's tokens share one bucket; ``--rate-limit-per token`` gives each token its own."""
    server = create_server(Options(port=0, rate_limit=100, rate_limit_per=per), parse_initial_state({"servers": [{"name": "solo"}]}))
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        server.sim.added_tokens["other-token"] = "full"
        tokens = ["sim-token", "sim-token", "other-token", "sim-token"]
        assert [_remaining_of(server.base_url, token) for token in tokens] == expected
        assert [entry["rate_limit_remaining"] for entry in server.sim.requests.entries()] == expected
    finally:
        server.shutdown()
        server.server_close()


def test_rate_limit_per_is_an_option() -> None:
    assert parse_args(["--rate-limit-per", "token"]).rate_limit_per == "token"
    assert parse_args([]).rate_limit_per == "project"
    with pytest.raises(SystemExit):
        parse_args(["--rate-limit-per", "user"])
