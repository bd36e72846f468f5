# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _ratelimit.RateLimitObserver: header parsing and the wait it suggests."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import build_client
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._ratelimit import RateLimitObserver
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock


def response(**headers):
    """A response-like object; header names use the API's spelling, looked up case-insensitively as requests does."""
    names = {"limit": "RateLimit-Limit", "remaining": "RateLimit-Remaining", "reset": "RateLimit-Reset"}
    return SimpleNamespace(headers=CaseInsensitiveDict({names[key]: str(value) for key, value in headers.items()}))


def clock_at(unix_time):
    """A fake clock whose wall time (what ``RateLimit-Reset`` is read against) is ``unix_time`` seconds of the epoch."""
    return FakeClock(start=unix_time, wall=datetime.datetime.fromtimestamp(unix_time, datetime.timezone.utc))


def test_observe_reads_the_three_headers():
    observer = RateLimitObserver(clock=clock_at(1000.0))
    observer.observe(response(limit=3600, remaining=3599, reset=1001))
    assert (observer.limit, observer.remaining, observer.reset) == (3600, 3599, 1001)


def test_observe_reads_lower_case_header_names():
    observer = RateLimitObserver()
    observer.observe(SimpleNamespace(headers=CaseInsensitiveDict({"ratelimit-limit": "10", "ratelimit-remaining": "3", "ratelimit-reset": "77"})))
    assert (observer.limit, observer.remaining, observer.reset) == (10, 3, 77)


def test_observe_keeps_previous_values_for_missing_or_malformed_headers():
    observer = RateLimitObserver()
    observer.observe(response(limit=3600, remaining=100, reset=5000))
    observer.observe(SimpleNamespace(headers={"RateLimit-Remaining": "not-a-number"}))
    assert (observer.limit, observer.remaining, observer.reset) == (3600, 100, 5000)
    observer.observe(SimpleNamespace(headers={}))
    assert (observer.limit, observer.remaining, observer.reset) == (3600, 100, 5000)


def test_remaining_is_the_last_seen():
    observer = RateLimitObserver()
    for remaining in (50, 30, 40, 35):
        observer.observe(response(limit=3600, remaining=remaining, reset=0))
    assert observer.remaining == 35


def test_no_headers_seen_waits_one_second():
    observer = RateLimitObserver(clock=clock_at(1000.0))
    assert observer.remaining is None
    assert observer.seconds_until_next_request() == 1.0


@pytest.mark.parametrize(
    ("limit", "remaining", "reset_in", "expected"),
    [
        (100, 40, 300, 5.0),  # 60 requests missing, full in 300 s: one every 5 s
        (10, 0, 100, 10.0),  # empty bucket: one every 10 s
        (3600, 0, 3600, 1.0),  # Hetzner's default: one request a second
        (100, 99, 30, 30.0),  # one missing: the whole time until reset
        (100, 40, 30, 1.0),  # 0.5 s per request is floored at 1 s
        (100, 40, -50, 1.0),  # reset in the past: floored at 1 s
    ],
)
def test_seconds_until_next_request_arithmetic(limit, remaining, reset_in, expected):
    now = 1_700_000_000.0
    observer = RateLimitObserver(clock=clock_at(now))
    observer.observe(response(limit=limit, remaining=remaining, reset=int(now) + reset_in))
    assert observer.seconds_until_next_request() == pytest.approx(expected)


def test_seconds_until_next_request_follows_the_clock():
    clock = clock_at(1000.0)
    observer = RateLimitObserver(clock=clock)
    observer.observe(response(limit=100, remaining=80, reset=1200))
    assert observer.seconds_until_next_request() == pytest.approx(10.0)
    clock.sleep(100.0)
    assert observer.seconds_until_next_request() == pytest.approx(5.0)


def test_partial_headers_wait_one_second():
    observer = RateLimitObserver(clock=clock_at(0.0))
    observer.observe(SimpleNamespace(headers={"RateLimit-Limit": "100", "RateLimit-Remaining": "0"}))
    assert observer.seconds_until_next_request() == 1.0


class HeaderAdapter(requests.adapters.BaseAdapter):
    """A transport answering every request locally with rate limit headers (no network)."""

    def __init__(self, remaining_values):
        super().__init__()
        self.remaining_values = list(remaining_values)

    def send(self, request, **kwargs):  # pylint: disable=unused-argument
        answer = requests.Response()
        answer.status_code = 200
        answer.url = request.url
        answer.request = request
        answer.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", "RateLimit-Limit": "3600", "RateLimit-Remaining": str(self.remaining_values.pop(0)), "RateLimit-Reset": "1"}
        )
        answer._content = b'{"servers": []}'  # pylint: disable=protected-access
        return answer

    def close(self):
        pass


def test_attach_observes_every_response_of_a_client():
    client = build_client("test-token", "https://api.example.test/v1")
    # pylint: disable-next=protected-access
    client._client._session.mount("https://", HeaderAdapter([3000, 2990, 2995]))
    observer = RateLimitObserver().attach(client)
    for _index in range(3):
        assert client.request("GET", "/servers") == {"servers": []}
    assert observer.limit == 3600
    assert observer.remaining == 2995


def test_projected_remaining_adds_the_refill_since_the_last_answer():
    clock = clock_at(1000.0)
    observer = RateLimitObserver(clock=clock)
    assert observer.projected_remaining() is None
    observer.observe(response(limit=3600, remaining=0, reset=4600))
    assert observer.projected_remaining() == 0
    clock.sleep(30.5)  # 3600 an hour: one a second
    assert observer.projected_remaining() == 30
    clock.sleep(9999.0 - 1030.5)
    assert observer.projected_remaining() == 3600  # never more than the limit
    assert observer.remaining == 0  # the header as it was seen
