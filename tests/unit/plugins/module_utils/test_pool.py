"""Unit tests for the one bounded connection pool of a fleet run."""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import build_client
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._pool import bound_connections


def test_the_client_session_gets_one_blocking_bounded_pool():
    client = build_client("t", "http://127.0.0.1:9/v1", 5)
    assert bound_connections(client, 8) is True
    adapter = client._client._session.get_adapter("http://127.0.0.1:9/v1/servers")  # pylint: disable=protected-access
    assert adapter._pool_maxsize == 8  # pylint: disable=protected-access
    assert adapter._pool_block is True  # pylint: disable=protected-access


def test_a_client_without_a_session_is_left_alone():
    assert bound_connections(object()) is False
