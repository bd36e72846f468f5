# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _retry: error classification and bounded retries of reads."""

from __future__ import annotations

import pytest
import requests
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import (
    NOT_APPLIED_CODES,
    PASSING_CODES,
    error_code,
    is_rate_limited,
    is_retryable_read_error,
    is_transport_error,
    outcome_unknown,
    retry_read,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Backoff, Deadline
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock, FakeRateLimit


def api_error(code, message="boom"):
    return APIException(code=code, message=message, details=None, correlation_id="abc")


class Script:
    """A callable that raises or returns the scripted outcomes in turn, counting its calls."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def no_jitter():
    return Backoff(initial=0.5, factor=2.0, cap=8.0, jitter=0.0)


# classification -----------------------------------------------------------------------------------------


def test_error_code_of_api_exception_and_others():
    assert error_code(api_error("locked")) == "locked"
    assert error_code(api_error(502)) == 502
    assert error_code(ValueError("x")) is None
    assert error_code(requests.exceptions.ConnectionError()) is None


@pytest.mark.parametrize(
    "exc",
    [requests.exceptions.ConnectionError(), requests.exceptions.Timeout(), requests.exceptions.ReadTimeout(), requests.exceptions.ChunkedEncodingError()],
)
def test_transport_errors_have_unknown_outcome(exc):
    assert is_transport_error(exc)
    assert outcome_unknown(exc)
    assert is_retryable_read_error(exc)


@pytest.mark.parametrize("code", ["server_error", "bad_gateway", "timeout", "service_unavailable", 500, 502, 503, 504])
def test_server_side_failures_have_unknown_outcome(code):
    exc = api_error(code)
    assert not is_transport_error(exc)
    assert outcome_unknown(exc)
    assert is_retryable_read_error(exc)


@pytest.mark.parametrize(
    "code",
    [
        "invalid_input",
        "locked",
        "rate_limit_exceeded",
        "not_found",
        "forbidden",
        "unauthorized",
        "protected",
        "resource_limit_exceeded",
        "uniqueness_error",
        "maintenance",
        "token_readonly",
        "json_error",
    ],
)
def test_refusals_are_known_not_applied(code):
    assert not outcome_unknown(api_error(code))


@pytest.mark.parametrize("exc", [ValueError("bad"), KeyError("image"), RuntimeError("x")])
def test_programming_errors_are_neither_unknown_nor_retryable(exc):
    assert not is_transport_error(exc)
    assert not outcome_unknown(exc)
    assert not is_retryable_read_error(exc)
    assert not is_rate_limited(exc)


@pytest.mark.parametrize("code", ["locked", "rate_limit_exceeded", "conflict", "maintenance", "resource_unavailable"])
def test_passing_codes_are_retryable_reads(code):
    assert is_retryable_read_error(api_error(code))


@pytest.mark.parametrize("code", ["invalid_input", "not_found", "forbidden", "unauthorized", "protected", "resource_limit_exceeded", "uniqueness_error"])
def test_permanent_refusals_are_not_retryable_reads(code):
    assert not is_retryable_read_error(api_error(code))


def test_is_rate_limited_only_for_rate_limit_exceeded():
    assert is_rate_limited(api_error("rate_limit_exceeded"))
    assert not is_rate_limited(api_error("locked"))
    assert not is_rate_limited(api_error(429))


def test_passing_codes_that_are_refusals_are_listed_as_not_applied():
    assert {"locked", "rate_limit_exceeded", "maintenance", "resource_unavailable"} <= NOT_APPLIED_CODES
    passing_but_maybe_applied = PASSING_CODES - NOT_APPLIED_CODES
    assert passing_but_maybe_applied == {"conflict"}


# retry_read ---------------------------------------------------------------------------------------------


def test_retry_read_returns_at_once_on_success():
    clock = FakeClock()
    call = Script({"ok": True})
    assert retry_read(call, Deadline(60, clock=clock), FakeRateLimit(), sleep=clock.sleep) == {"ok": True}
    assert call.calls == 1
    assert clock.sleeps == []


def test_retry_read_retries_transient_errors_then_succeeds():
    clock = FakeClock()
    call = Script(api_error("server_error"), requests.exceptions.ConnectionError(), api_error(502), "body")
    result = retry_read(call, Deadline(60, clock=clock), FakeRateLimit(), sleep=clock.sleep, backoff=no_jitter())
    assert result == "body"
    assert call.calls == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("max_attempts", [1, 3, 6])
def test_retry_read_gives_up_after_max_attempts(max_attempts):
    clock = FakeClock()
    error = api_error("server_error")
    call = Script(error)
    with pytest.raises(APIException) as raised:
        retry_read(call, Deadline(600, clock=clock), FakeRateLimit(), sleep=clock.sleep, max_attempts=max_attempts, backoff=no_jitter())
    assert raised.value is error
    assert call.calls == max_attempts
    assert len(clock.sleeps) == max_attempts - 1


def test_retry_read_default_max_attempts_is_six():
    clock = FakeClock()
    call = Script(requests.exceptions.ConnectionError())
    with pytest.raises(requests.exceptions.ConnectionError):
        retry_read(call, Deadline(600, clock=clock), FakeRateLimit(), sleep=clock.sleep)
    assert call.calls == 6


def test_retry_read_transient_errors_stop_at_the_deadline():
    clock = FakeClock()
    call = Script(api_error("timeout"))
    with pytest.raises(APIException):
        retry_read(call, Deadline(2, clock=clock), FakeRateLimit(), sleep=clock.sleep, max_attempts=100, backoff=no_jitter())
    assert clock.sleeps == [0.5, 1.0, 0.5]
    assert call.calls == 4


@pytest.mark.parametrize("code", ["invalid_input", "not_found", "unauthorized", "forbidden"])
def test_retry_read_reraises_non_retryable_errors_immediately(code):
    clock = FakeClock()
    error = api_error(code)
    call = Script(error, "never reached")
    with pytest.raises(APIException) as raised:
        retry_read(call, Deadline(600, clock=clock), FakeRateLimit(), sleep=clock.sleep)
    assert raised.value is error
    assert call.calls == 1
    assert clock.sleeps == []


def test_retry_read_reraises_programming_errors_immediately():
    clock = FakeClock()
    call = Script(KeyError("servers"))
    with pytest.raises(KeyError):
        retry_read(call, Deadline(600, clock=clock), FakeRateLimit(), sleep=clock.sleep)
    assert call.calls == 1
    assert clock.sleeps == []


def test_retry_read_waits_out_rate_limits_honouring_the_observer():
    clock = FakeClock()
    rate_limit = FakeRateLimit(wait=7.0)
    call = Script(api_error("rate_limit_exceeded"), api_error("rate_limit_exceeded"), api_error("rate_limit_exceeded"), "body")
    result = retry_read(call, Deadline(600, clock=clock), rate_limit, sleep=clock.sleep, max_attempts=2, backoff=no_jitter())
    assert result == "body"
    assert call.calls == 4
    assert clock.sleeps == [7.0, 7.0, 7.0]
    assert rate_limit.asked == 3


def test_retry_read_rate_limits_do_not_count_as_attempts_but_stop_at_the_deadline():
    clock = FakeClock()
    call = Script(api_error("rate_limit_exceeded"))
    with pytest.raises(APIException) as raised:
        retry_read(call, Deadline(20, clock=clock), FakeRateLimit(wait=7.0), sleep=clock.sleep, max_attempts=1, backoff=no_jitter())
    assert raised.value.code == "rate_limit_exceeded"
    assert clock.sleeps == [7.0, 7.0, 6.0]
    assert call.calls == 4
    assert clock.slept == 20


def test_retry_read_rate_limit_wait_is_at_least_the_backoff():
    clock = FakeClock()
    call = Script(api_error("rate_limit_exceeded"), "body")
    backoff = Backoff(initial=4.0, factor=2.0, cap=8.0, jitter=0.0)
    assert retry_read(call, Deadline(600, clock=clock), FakeRateLimit(wait=1.0), sleep=clock.sleep, backoff=backoff) == "body"
    assert clock.sleeps == [4.0]


def test_retry_read_retries_locked_and_conflict_reads():
    clock = FakeClock()
    call = Script(api_error("locked"), api_error("conflict"), "body")
    assert retry_read(call, Deadline(600, clock=clock), FakeRateLimit(), sleep=clock.sleep, backoff=no_jitter()) == "body"
    assert call.calls == 3
    assert clock.sleeps == [0.5, 1.0]


def test_retry_read_with_expired_deadline_does_not_sleep():
    clock = FakeClock()
    call = Script(api_error("server_error"))
    with pytest.raises(APIException):
        retry_read(call, Deadline(0, clock=clock), FakeRateLimit(), sleep=clock.sleep)
    assert call.calls == 1
    assert clock.sleeps == []
