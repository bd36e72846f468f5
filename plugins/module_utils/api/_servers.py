# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which server a value names: one rule for the modules (``server``, ``servers``) and the lookup's terms.

A value is a server's name, or (all digits) a server's ID. A value that is one server's name and another
server's ID is refused, naming both, rather than guessed.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed


class ServerNotFound(TaskFailed, LookupError):
    """No server has that name or ID."""

    def __init__(self, value: str) -> None:
        super().__init__(f"server {value} not found: check the name or ID (hcloud server list)")
        self.value = value


class AmbiguousServer(TaskFailed, LookupError):
    """The value is one server's name and another server's ID."""

    def __init__(self, value: str, named: dict, numbered: dict) -> None:
        super().__init__(
            f"server {value} is ambiguous: it is the name of server {named['id']} ({named['name']}) and the ID of server "
            f"{numbered['id']} ({numbered['name']}); rename one of them, or give the other's ID"
        )
        self.value = value


def could_be_id(value: str) -> bool:
    """Whether the value may be a server ID (all digits)."""
    return value.isdigit()


def pick_server(value: str, named: dict | None, numbered: dict | None) -> dict:
    """The server ``value`` means, from the server with that name and the server with that ID (either may be None)."""
    if named is not None and numbered is not None and named["id"] != numbered["id"]:
        raise AmbiguousServer(value, named, numbered)
    server = named or numbered
    if server is None:
        raise ServerNotFound(value)
    return server


def index_servers(servers: list[dict]) -> tuple[dict[str, dict], dict[str, dict]]:
    """``(by name, by ID as text)`` of a listing, for ``pick_server``."""
    return {server["name"]: server for server in servers}, {str(server["id"]): server for server in servers}
