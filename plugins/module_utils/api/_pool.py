# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One bounded connection pool for a whole fleet run.

Every task of a fleet run shares one ``hcloud.Client`` (its ``requests.Session`` is safe to share between threads
for plain requests). The session's pool is bounded to ``MAX_CONNECTIONS`` connections to the API and blocks a
thread that finds them all busy until one is free, instead of opening (and throwing away) one more: a fleet of
1000 servers keeps at most that many connections open, whatever its ``concurrency``.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from typing import Any

MAX_CONNECTIONS = 16


def bound_connections(client: Any, size: int = MAX_CONNECTIONS) -> bool:
    """Give the ``hcloud.Client``'s session one blocking pool of ``size`` connections; False if it has no session."""
    session = getattr(getattr(client, "_client", None), "_session", None)
    if session is None:
        return False
    from requests.adapters import HTTPAdapter  # noqa: PLC0415  (hcloud's own dependency, present with it)

    for prefix in ("https://", "http://"):
        session.mount(prefix, HTTPAdapter(pool_connections=1, pool_maxsize=size, pool_block=True, max_retries=0))
    return True
