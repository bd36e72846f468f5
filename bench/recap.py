"""The PLAY RECAP of an ``ansible-playbook`` (or ansible-runner) output: every host's counts, as a job reports them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")


@dataclass(frozen=True)
class Recap:
    """The hosts a run's recaps name, and which of them failed or were unreachable."""

    hosts: frozenset[str]
    failed: frozenset[str]

    def missing(self, expected: list[str]) -> list[str]:
        """The expected hosts no recap reports."""
        return sorted(set(expected) - self.hosts)


def parse_recap(output: str) -> Recap:
    """Every host line after each ``PLAY RECAP`` header (a job with several plays has one recap at the end)."""
    hosts: set[str] = set()
    failed: set[str] = set()
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        match = _LINE.match(line.strip()) if in_recap else None
        if match is None:
            in_recap = False  # the recap's host lines follow its header without a break
            continue
        counts = {key: int(value) for key, value in (item.split("=") for item in match["counts"].split())}
        hosts.add(match["host"])
        if counts.get("failed", 0) or counts.get("unreachable", 0):
            failed.add(match["host"])
    return Recap(frozenset(hosts), frozenset(failed))
