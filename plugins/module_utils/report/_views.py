# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes the modules return (their RETURN documentation describes these): one place for every result view."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.report._retention_report import retention_summary, retention_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._from_backup import snapshot_source
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power import PowerReport
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport

SNAPSHOT_KEYS = ("id", "description", "type", "status", "labels", "created", "image_size", "disk_size", "created_from", "protection")
ACTION_KEYS = ("id", "command", "status", "progress", "started", "finished")
LOCK_ACTION_KEYS = ("id", "command", "started", "progress", "status")
OUTCOMES = ("created", "converted", "adopted", "unchanged", "skipped", "deleted", "failed")


def snapshot_view(image: dict) -> dict:
    """``snapshot`` (and each of ``deleted``, and ``snapshot_info``'s ``snapshots``)."""
    return {key: image.get(key) for key in SNAPSHOT_KEYS}


def action_view(action: dict) -> dict:
    """``action``."""
    return {key: action.get(key) for key in ACTION_KEYS}


def lock_view(report: LockReport) -> dict:
    """``lock``: seconds waited and the blocking actions seen."""
    return {"waited": round(report.waited, 1), "actions": [{key: action.get(key) for key in LOCK_ACTION_KEYS} for action in report.seen.values()]}


def power_view(report: PowerReport) -> dict:
    """``power``: what the power cycle did."""
    return asdict(report)


def diff_line(image: dict) -> str:
    """One snapshot in the diff."""
    protected = ", protected" if (image.get("protection") or {}).get("delete") else ""
    return f"{image['id']}: {image.get('description')} ({image.get('status')}{protected})"


def diff_view(before: list[dict], after: list[dict]) -> dict:
    """``diff``: the server's snapshots before and after."""
    return {"before": {"snapshots": [diff_line(image) for image in before]}, "after": {"snapshots": [diff_line(image) for image in after]}}


def server_diff(server: str, diff: dict) -> dict:
    """One server's ``diff`` in a fleet's list of diffs, headed with the server's name."""
    return dict(diff, before_header=f"{server}: snapshots before", after_header=f"{server}: snapshots after")


def fleet_view(results: list[dict]) -> dict:
    """With ``servers``: ``results``, ``summary``, ``failed_servers``, and the message."""
    summary = dict.fromkeys(OUTCOMES, 0)
    for result in results:
        summary[result["outcome"]] += 1
    failed = [result["server"] for result in results if result["outcome"] == "failed"]
    if not results:
        return {"changed": False, "results": [], "summary": summary, "failed_servers": [], "msg": "no servers given"}
    msg = ", ".join(f"{count} {name}" for name, count in summary.items() if count) + f" of {len(results)} servers"
    if failed:
        msg += f"; failed: {', '.join(failed)}"
    view = {"changed": any(result.get("changed") for result in results), "results": results, "summary": summary, "failed_servers": failed, "msg": msg}
    totals = retention_summary(results)
    if totals is not None:
        view["retention_summary"] = totals
    return view


def fleet_member_view(result: dict, server: str, seconds: float, failed: bool | None = None) -> dict[str, Any]:
    """One server's entry of ``results``: its result without the diff, plus ``server`` and ``seconds``."""
    entry = {key: value for key, value in result.items() if key not in ("diff", "exception")}
    if failed:
        entry.update(failed=True, outcome="failed")
    entry["server"] = server
    entry["seconds"] = round(seconds, 1)
    return entry


def task_view(state: Any, lock: LockReport) -> dict:
    """A single server's result, from the task's state (``_task_state.TaskState``) and what it saw of the lock."""
    result: dict[str, Any] = {
        "changed": state.changed,
        "outcome": state.outcome,
        "adopted": state.adopted,
        "skipped": state.skipped,
        "deleted": [snapshot_view(image) for image in state.deleted],
    }
    if state.snapshot is not None:
        result["snapshot"] = snapshot_view(state.snapshot)
        result["source"] = "adopted" if state.adopted else snapshot_source(state.snapshot)
    elif state.predicted is not None:
        result["source"] = "created"
    if state.msg:
        result["msg"] = state.msg
    if state.action is not None:
        result["action"] = action_view(state.action)
    if state.power is not None:
        result["power"] = power_view(state.power)
    if state.warnings:
        result["warnings"] = list(state.warnings)
    if state.retention is not None:
        kept = state.retention
        result["retention"] = retention_view(kept.rules, kept.plan, kept.series, kept.price, kept.predicted_id, kept.backups)
    result["lock"] = lock_view(lock)
    return result
