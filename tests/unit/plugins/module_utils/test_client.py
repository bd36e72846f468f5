# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _client: building an hcloud.Client from the shared options (no network)."""

from __future__ import annotations

import hcloud
import pytest
import requests

from ansible_collections.lockaware.hcloud.plugins.module_utils.api import _client as client_module
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import (
    DEFAULT_API_ENDPOINT,
    ClientConfigError,
    api_argument_spec,
    build_client,
    disable_library_retries,
)

TOKEN = "s3cr3t-t0ken-that-must-never-be-shown-0123456789abcdef"


class TimeoutAdapter(requests.adapters.BaseAdapter):
    """A transport whose every request times out, counting the attempts (no network)."""

    def __init__(self):
        super().__init__()
        self.sent = 0

    def send(self, request, **kwargs):  # pylint: disable=unused-argument
        self.sent += 1
        raise requests.exceptions.ReadTimeout("timed out")

    def close(self):
        pass


def with_timeout_adapter(client):
    adapter = TimeoutAdapter()
    # pylint: disable-next=protected-access
    client._client._session.mount("https://", adapter)
    return adapter


@pytest.mark.parametrize("token", ["", None])
def test_empty_token_is_refused(token):
    with pytest.raises(ClientConfigError, match="no API token given: set the api_token option or the HCLOUD_TOKEN environment variable"):
        build_client(token)


@pytest.mark.parametrize("endpoint", ["", None, "ftp://api.example.test/v1", "api.hetzner.cloud/v1", "HTTPS//api.example.test", "file:///etc/passwd"])
def test_non_http_endpoint_is_refused(endpoint):
    with pytest.raises(ClientConfigError) as raised:
        build_client(TOKEN, endpoint)
    assert str(raised.value).startswith("api_endpoint must be an http:// or https:// URL")
    assert DEFAULT_API_ENDPOINT in str(raised.value)


@pytest.mark.parametrize(
    "endpoint", ["http://api.hetzner.cloud/v1", "http://10.0.0.5:8765/v1", "http://[2001:db8::1]/v1", "http://localhost.example.test/v1", "http://128.0.0.1/v1"]
)
def test_plain_http_to_another_machine_is_refused_before_connecting(endpoint, monkeypatch):
    monkeypatch.setattr(requests.Session, "send", lambda *args, **kwargs: pytest.fail("a request was sent"))
    with pytest.raises(ClientConfigError) as raised:
        build_client(TOKEN, endpoint)
    assert "the API token would cross the network in clear" in str(raised.value)
    assert "https://" in str(raised.value)
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:8765/v1", "http://127.3.4.5/v1", "http://[::1]:8765/v1", "http://localhost:8765/v1", "http://LOCALHOST/v1"]
)
def test_plain_http_to_a_loopback_address_is_accepted(endpoint):
    assert build_client(TOKEN, endpoint) is not None


@pytest.mark.parametrize("timeout", [0, -1, -0.5])
def test_non_positive_timeout_is_refused(timeout):
    with pytest.raises(ClientConfigError, match="request_timeout must be a positive number of seconds"):
        build_client(TOKEN, DEFAULT_API_ENDPOINT, timeout)


@pytest.mark.parametrize(
    ("token", "endpoint", "timeout"),
    [
        ("", DEFAULT_API_ENDPOINT, 30),
        (TOKEN, "ftp://api.example.test/v1", 30),
        (TOKEN, "", 30),
        (TOKEN, DEFAULT_API_ENDPOINT, 0),
        (TOKEN, DEFAULT_API_ENDPOINT, -3),
    ],
)
def test_the_token_never_appears_in_config_errors(token, endpoint, timeout):
    with pytest.raises(ClientConfigError) as raised:
        build_client(token, endpoint, timeout)
    assert TOKEN not in str(raised.value)
    assert TOKEN not in repr(raised.value)
    assert TOKEN[:12] not in str(raised.value)


def test_client_config_error_is_a_value_error():
    assert issubclass(ClientConfigError, ValueError)


def test_user_agent_names_the_collection_and_version():
    client = build_client(TOKEN)
    # pylint: disable-next=protected-access
    user_agent = client._client._user_agent
    assert "lockaware.hcloud/0.1.0" in user_agent
    assert user_agent.startswith("lockaware.hcloud/0.1.0 ")
    assert "hcloud-python/" in user_agent


def test_endpoint_timeout_and_token_are_passed_to_the_library():
    client = build_client(TOKEN, "http://127.0.0.1:8765/v1/", 12.5)
    # pylint: disable=protected-access
    assert client._client._endpoint == "http://127.0.0.1:8765/v1"
    assert client._client._timeout == 12.5
    assert client._client._headers["Authorization"] == f"Bearer {TOKEN}"


def test_none_timeout_is_allowed():
    client = build_client(TOKEN, DEFAULT_API_ENDPOINT, None)
    assert client._client._timeout is None  # pylint: disable=protected-access


def library_client():
    """A client as the library builds it, with its own retries on."""
    return hcloud.Client(token=TOKEN, api_endpoint=DEFAULT_API_ENDPOINT)


def test_disable_library_retries_sets_the_retry_count_to_zero():
    client = library_client()
    assert client._client._retry_max_retries > 0  # pylint: disable=protected-access
    disable_library_retries(client)
    assert client._client._retry_max_retries == 0  # pylint: disable=protected-access


def test_build_client_turns_the_library_retries_off():
    client = build_client(TOKEN)
    assert client._client._retry_max_retries == 0  # pylint: disable=protected-access


def test_library_retries_a_timed_out_post_unless_disabled(monkeypatch):
    """Proves the attribute still controls the library: if hcloud renames it, this test fails."""
    slept = []
    monkeypatch.setattr(hcloud._client.time, "sleep", slept.append)  # pylint: disable=protected-access

    retrying = library_client()
    adapter = with_timeout_adapter(retrying)
    with pytest.raises(requests.exceptions.Timeout):
        retrying.request("POST", "/servers/1/actions/create_image", json={})
    assert adapter.sent > 1
    assert len(slept) == adapter.sent - 1

    slept.clear()
    single = build_client(TOKEN)
    adapter = with_timeout_adapter(single)
    with pytest.raises(requests.exceptions.Timeout):
        single.request("POST", "/servers/1/actions/create_image", json={})
    assert adapter.sent == 1
    assert slept == []


def test_missing_library_is_reported(monkeypatch):
    monkeypatch.setattr(client_module, "hcloud", None)
    with pytest.raises(ClientConfigError, match="pip install"):
        build_client(TOKEN)


def test_api_argument_spec_hides_the_token_and_reads_the_environment():
    spec = api_argument_spec()
    assert spec["api_token"]["no_log"] is True
    assert spec["api_token"]["required"] is True
    assert spec["api_token"]["fallback"][1] == ["HCLOUD_TOKEN"]
    assert spec["api_endpoint"]["default"] == DEFAULT_API_ENDPOINT
    assert spec["api_endpoint"]["fallback"][1] == ["HCLOUD_ENDPOINT"]
    assert spec["request_timeout"]["type"] == "float"


@pytest.mark.parametrize("timeout", [3601, 1e300, float("inf"), float("-inf"), float("nan")])
def test_huge_or_non_finite_timeout_is_refused_with_its_bound(timeout):
    with pytest.raises(ClientConfigError, match=r"request_timeout must be a positive number of seconds, at most 3600 \(an hour\)"):
        build_client(TOKEN, DEFAULT_API_ENDPOINT, timeout)


def test_an_hour_is_the_longest_timeout():
    assert build_client(TOKEN, DEFAULT_API_ENDPOINT, 3600)._client._timeout == 3600  # pylint: disable=protected-access


@pytest.mark.parametrize(("endpoint", "from_environment"), [("http://127.0.0.1:8765/v1", False), ("https://api.hetzner.cloud/v1", True)])
def test_plain_http_ignores_the_environments_proxy(endpoint, from_environment, monkeypatch):
    """A proxy from http_proxy would carry a loopback endpoint's token in clear across the network."""
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    session = build_client("secret-token", endpoint)._client._session  # pylint: disable=protected-access
    assert session.trust_env is from_environment
    assert bool(session.merge_environment_settings(endpoint + "/servers", {}, None, None, None)["proxies"]) is from_environment
