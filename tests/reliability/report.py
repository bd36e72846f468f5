"""The table of figures, in Markdown, and docs/reliability.md."""

from __future__ import annotations

import datetime
from pathlib import Path

from context import INVARIANTS
from suite import Row

HEADER = (
    "scenario",
    "runs",
    "passed",
    "snapshots expected / found",
    "duplicates",
    "wrongly deleted",
    "writes in check mode",
    "token leaks",
    "failed runs that exited 0",
    "cancellations / servers left off",
    "rebuilds / wrong image / repeated / protected touched",
    "scratch servers leaked",
)


def table(rows: list[Row]) -> str:
    """The Markdown table: one line per scenario, and a total."""
    lines = ["| " + " | ".join(HEADER) + " |", "| " + " | ".join("---" for _column in HEADER) + " |"]
    for row in rows:
        lines.append(_line(row.label, [row]))
    lines.append(_line("**total**", rows))
    return "\n".join(lines)


def _line(label: str, rows: list[Row]) -> str:
    runs = sum(len(row.outcomes) for row in rows)
    passed = sum(row.passed for row in rows)
    cells = [
        label,
        str(runs),
        str(passed),
        f"{sum(row.total('expected') for row in rows)} / {sum(row.total('found') for row in rows)}",
        str(sum(row.total("duplicates") for row in rows)),
        str(sum(row.total("wrongly_deleted") for row in rows)),
        str(sum(row.total("check_writes") for row in rows)),
        str(sum(row.total("leaks") for row in rows)),
        str(sum(row.total("silent_failures") for row in rows)),
        f"{sum(row.total('cancellations') for row in rows)} / {sum(row.total('left_off') for row in rows)}",
        " / ".join(str(sum(row.total(name) for row in rows)) for name in ("rebuilds", "wrong_rebuilds", "repeated_rebuilds", "protected_touched")),
        str(sum(row.total("leaked_scratch") for row in rows)),
    ]
    return "| " + " | ".join(cells) + " |"


def all_clear(rows: list[Row]) -> bool:
    """Every run passed, and every invariant count is zero."""
    return all(row.ok for row in rows) and not any(row.total(name) for row in rows for name in INVARIANTS)


def timings(rows: list[Row]) -> str:
    """Seconds per scenario, one line."""
    return ", ".join(f"{row.label.split('.')[0]}: {row.seconds:.0f} s" for row in rows)


def failures(rows: list[Row]) -> str:
    """What went wrong, run by run (empty when nothing did)."""
    lines = []
    for row in rows:
        for index, outcome in enumerate(row.outcomes, start=1):
            if not outcome.passed:
                lines.append(f"- {row.label}, run {index}:")
                lines.extend(f"  - {problem.splitlines()[0]}" for problem in outcome.problems)
    return "\n".join(lines)


def document(rows: list[Row], command: str, wall_seconds: float, lanes: int) -> str:
    """The contents of docs/reliability.md."""
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# Reliability",
        "",
        "The fault-injection suite (`tests/reliability/`): each scenario runs real `ansible-playbook` runs against",
        "the `hcloud_sim` simulator and reads the end state back through its API; the property test (hypothesis) drives",
        "`SnapshotTask` directly with drawn lock timings and fault sequences.",
        "",
        f"Command: `{command}` (`make reliability` runs it without arguments).",
        "",
        f"Date: {when}; wall time {wall_seconds / 60:.1f} min with {lanes} lane(s) side by side.",
        "",
        table(rows),
        "",
        f"Time per scenario: {timings(rows)}.",
    ]
    problems = failures(rows)
    if problems:
        parts += ["", "## Failures", "", problems]
    return "\n".join(parts) + "\n"


def write_document(path: Path, text: str) -> None:
    """Write docs/reliability.md (or another path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
