# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every unit test starts with no remembered API token: the tokens of one test (some a single character) must not
redact the messages of the next (``_token.remember`` keeps them for the life of the process, as a task's does)."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api import _token


def forget() -> None:
    """Forget every token ``_token.remember`` was given (the collection never does: a task's process ends)."""
    with _token._lock:  # pylint: disable=protected-access
        _token._remembered.clear()  # pylint: disable=protected-access


@pytest.fixture(autouse=True)
def no_remembered_tokens():
    forget()
    yield
    forget()
