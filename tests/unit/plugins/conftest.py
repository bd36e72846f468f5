# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every unit test starts with no remembered API token: the tokens of one test (some a single character) must not
redact the messages of the next (``_token.remember`` keeps them for the life of the process, as a task's does)."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils._token import forget


@pytest.fixture(autouse=True)
def no_remembered_tokens():
    forget()
    yield
    forget()
