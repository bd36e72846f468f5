"""pytest fixtures of the reliability suite: the collection on ``sys.path`` and a simulator for the session.

The simulator is the suite runner's own when ``RELIABILITY_SIM_URL`` and ``RELIABILITY_SIM_TOKEN`` are set
(``run.py`` sets them), else one started here with a random token.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from harness import COLLECTIONS_ROOT, REPO_ROOT, ensure_collection_link, new_token, start_suite_simulator
from hypothesis.configuration import set_hypothesis_home_dir

ensure_collection_link()
# hypothesis keeps caches in ./.hypothesis; the checkout's scratch directory is the place for them.
set_hypothesis_home_dir(REPO_ROOT / ".tmp" / "hypothesis")
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))

from hcloud_sim.launcher import SimControl  # noqa: E402  pylint: disable=wrong-import-position


@dataclass(frozen=True)
class SimHandle:
    """Where the simulator is, its token, and its control client."""

    url: str
    token: str
    control: SimControl


@pytest.fixture(scope="session")
def sim() -> Iterator[SimHandle]:
    """The simulator for the session."""
    url, token = os.environ.get("RELIABILITY_SIM_URL"), os.environ.get("RELIABILITY_SIM_TOKEN")
    if url and token:
        yield SimHandle(url, token, SimControl(url, token))
        return
    with start_suite_simulator(new_token()) as process:
        yield SimHandle(process.url, process.token, process.control)
