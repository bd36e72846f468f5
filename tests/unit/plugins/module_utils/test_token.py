# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _token: what a token may look like, and no rendering of it in any message or trace (no network)."""

from __future__ import annotations

import json
import traceback
from urllib.parse import quote, quote_plus

import pytest
import requests

from ansible_collections.lockaware.hcloud.plugins.module_utils.api import _token
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import ClientConfigError, build_client
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._token import (
    HIDDEN,
    censored_forms,
    redact,
    redacted,
    remember,
    renderings,
    stripped_token,
    token_problem,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, doing, failure_message

HETZNER_LIKE = "a" * 20 + "B" * 20 + "0123456789" * 2 + "zZ9y"  # 64 letters and digits, as the Console hands them out
SECRET = "tok-SECRET-0123456789"


@pytest.fixture(autouse=True)
def nothing_remembered(monkeypatch):
    """Each test starts with no remembered token (the registry is per process)."""
    monkeypatch.setattr(_token, "_remembered", set())


def no_request(monkeypatch):
    monkeypatch.setattr(requests.Session, "send", lambda *args, **kwargs: pytest.fail("a request was sent"))


# the rule -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", [HETZNER_LIKE, "sim-token", "rel-0a1b2c", "x", "Z" * 500, "abc.DEF_ghi~jkl+mno/pqr", "YWJj==", "ro-cba", "unit-test-token-0123456789"]
)
def test_tokens_of_the_rule_are_accepted(token):
    assert token_problem(token) is None


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        (f"{SECRET}\n", SECRET),  # echo "$TOKEN" | ansible-vault encrypt_string
        (f"  {SECRET}\t", SECRET),
        (f"\r\n{SECRET}\r\n", SECRET),
        (f"\u00a0{SECRET}\u2003", SECRET),  # non-breaking and em spaces from a web page
    ],
)
def test_whitespace_around_the_token_is_dropped(raw, sent):
    assert stripped_token(raw) == sent
    client = build_client(raw, "http://127.0.0.1:8765/v1")
    assert client._client._headers["Authorization"] == f"Bearer {sent}"  # pylint: disable=protected-access


@pytest.mark.parametrize(
    ("token", "kind", "position"),
    [
        ("tok SECRET", "whitespace", 4),
        ("tok\nSECRET", "whitespace", 4),
        ("tok-SECRET\u00e9", "a non-ASCII character", 11),
        ("tok-SECRET\u20ac", "a non-ASCII character", 11),
        ("tok-\u4e2d\u6587", "a non-ASCII character", 5),
        ("tok\x00SECRET", "a control character", 4),
        ("tok\u200bSECRET", "a control character", 4),
        ('tok"SECRET', "a punctuation character", 4),
        ("tok%0aSECRET", "a punctuation character", 4),
        ("tok=SECRET", "an '=' that is not padding", 4),
        ("=", "an '=' that is not padding", 1),
    ],
)
def test_a_token_against_the_rule_is_refused_saying_what_and_where_but_not_showing_it(token, kind, position, monkeypatch):
    no_request(monkeypatch)
    with pytest.raises(ClientConfigError) as raised:
        build_client(token, "http://127.0.0.1:8765/v1")
    message = str(raised.value)
    assert kind in message
    assert f"character {position} of {len(token)}" in message
    assert "the token is not shown" in message
    assert "SECRET" not in message and "\u4e2d" not in message
    assert not [form for form in renderings(token) if len(form) > 1 and form in message]


@pytest.mark.parametrize("token", ["", "   ", "\n", None])
def test_no_token_or_only_whitespace_is_no_token(token):
    with pytest.raises(ClientConfigError, match="no API token given"):
        build_client(token)


# renderings and redaction ---------------------------------------------------------------------------------


def test_renderings_of_a_token_with_a_newline_and_non_ascii():
    raw = "tok-SECRET\u00e9\n"
    forms = renderings(raw)
    expected = {
        raw,
        "tok-SECRET\u00e9",
        "tok-SECRET\u00e9\\n",  # repr
        "tok-SECRET\\u00e9\\n",  # JSON, ASCII only
        "tok-SECRET\\xe9\\n",  # unicode_escape
        "tok-SECRET\\xc3\\xa9\\n",  # bytes repr
        "tok-SECRET%C3%A9%0A",  # URL-encoded
    }
    assert expected <= forms


def test_renderings_of_nothing_are_nothing():
    assert renderings(None) == set()
    assert renderings("  ") == set()


@pytest.mark.parametrize(
    "render",
    [
        lambda token: token,
        repr,
        json.dumps,
        lambda token: json.dumps(json.dumps(token))[1:-1].replace('\\"', '"'),
        lambda token: quote(token, safe=""),
        quote_plus,
        lambda token: repr(f"Bearer {token}".encode()),
        lambda token: f"header value: {f'Bearer {token}'!r}",
    ],
)
@pytest.mark.parametrize("token", [f"{SECRET}\n", f" {SECRET} ", SECRET, "tok+/=SECRET==", "tok-SECRET\u00e9\u20ac\n"])
def test_redact_removes_every_rendering(render, token):
    remember(token)
    text = f"before {render(token)} after"
    cleaned = redact(text)
    assert "SECRET" not in cleaned
    assert cleaned.startswith("before ") and cleaned.endswith(" after")
    assert HIDDEN in cleaned


def test_redacted_walks_results():
    remember(SECRET)
    result = {"msg": f"x {SECRET}", "results": [{"msg": SECRET}, (SECRET, 3)], "count": 3, "failure": None}
    assert redacted(result) == {"msg": f"x {HIDDEN}", "results": [{"msg": HIDDEN}, (HIDDEN, 3)], "count": 3, "failure": None}


def test_censored_forms_are_the_token_as_sent():
    assert censored_forms(f"{SECRET}\n") == {SECRET}
    assert censored_forms(" tok+/= ") == {"tok+/=", "tok%2B%2F%3D"}
    assert censored_forms(None) == set()


# the failure path -----------------------------------------------------------------------------------------


def invalid_header_error(token):
    """What requests raises for a header value with a line break: its message shows the header value, repr'd."""
    try:
        requests.Request("GET", "http://127.0.0.1:9/v1/servers", headers={"Authorization": f"Bearer {token}"}).prepare()
    except requests.exceptions.InvalidHeader as exc:
        return exc
    raise AssertionError("requests accepted the header")


def test_a_requests_invalid_header_error_is_reported_without_the_token():
    raw = f"{SECRET}\n"
    exc = invalid_header_error(raw)
    assert repr(f"Bearer {raw}") in str(exc)  # what leaked before
    remember(raw)
    message = failure_message(exc, "listing snapshots")
    assert message.startswith("listing snapshots: cannot reach the API (InvalidHeader: ")
    assert "SECRET" not in message


def test_task_failed_of_an_exception_carrying_the_token_has_no_rendering_in_msg_trace_or_failure():
    raw = f"{SECRET}\n"
    remember(raw)
    with pytest.raises(requests.exceptions.InvalidHeader) as raised, doing("reading server web1"):
        raise invalid_header_error(raw)
    exc = raised.value
    failed = TaskFailed.of(exc)
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    assert "SECRET" in trace  # the raw trace has it
    result = failed.result()
    assert failed.msg.startswith("reading server web1: ")
    assert "SECRET" not in json.dumps(result) and "SECRET" not in str(failed)
    assert "InvalidHeader" in result["exception"]


def test_task_failed_redacts_partial_results_and_structured_failures():
    remember(SECRET)
    failed = TaskFailed(f"msg {SECRET}", {"code": "x", "message": SECRET, "details": {"fields": [SECRET]}}, None, results=[{"msg": SECRET}])
    assert "SECRET" not in json.dumps(failed.result())


def test_build_client_remembers_the_token_for_the_failure_path():
    build_client(f"{SECRET}\n", "http://127.0.0.1:8765/v1")
    assert "SECRET" not in failure_message(RuntimeError(f"boom {SECRET!r} {quote(SECRET)}"))


def test_a_refused_token_is_remembered_too():
    with pytest.raises(ClientConfigError):
        build_client("tok SECRET", "http://127.0.0.1:8765/v1")
    assert "SECRET" not in failure_message(RuntimeError("tok SECRET"))
