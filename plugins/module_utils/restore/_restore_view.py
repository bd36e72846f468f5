# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes ``lockaware.hcloud.rollback`` returns (its RETURN documentation describes these)."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.report._views import action_view, lock_view, snapshot_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport


def server_view(server: dict | None) -> dict | None:
    """``server``: ``id``, ``name``, ``status`` and the ``image`` it was created or last rebuilt from."""
    if not server:
        return None
    image = server.get("image") or {}
    return {
        "id": server.get("id"),
        "name": server.get("name"),
        "status": server.get("status"),
        "image": {key: image.get(key) for key in ("id", "type", "description")} if image else None,
    }


def restore_view(state: Any, lock: LockReport) -> dict:
    """A rollback's result, from the task's state (``_restore_task.RestoreState``) and what it saw of the lock."""
    result: dict[str, Any] = {
        "changed": state.changed,
        "outcome": state.outcome,
        "recovered": state.recovered,
        "seconds": round(state.seconds, 1),
        "lock": lock_view(lock),
    }
    if state.msg:
        result["msg"] = state.msg
    if state.image is not None:
        result["snapshot"] = snapshot_view(state.image)
    if state.lost is not None:
        result["lost"] = state.lost
    if state.server:
        result["server"] = server_view(state.after or state.server)
        result["power"] = {"before": state.server.get("status"), "target": state.target, "after": (state.after or {}).get("status")}
    if state.action is not None:
        result["action"] = action_view(state.action)
    return result


def _line(image: dict | None, status: str | None) -> dict:
    image = image or {}
    return {"image": f"{image.get('id')}: {image.get('description')} ({image.get('type')})" if image else None, "status": status}


def restore_diff(state: Any) -> dict:
    """``diff``: the server's image and status before, and after (predicted in check mode)."""
    server = state.server or {}
    before = _line(server.get("image"), server.get("status"))
    restoring = state.outcome in ("restored", "adopted")
    after = _line(state.image, (state.after or {}).get("status") or state.target) if restoring else before
    return {"before": before, "after": after, "before_header": f"server {server.get('name')}", "after_header": f"server {server.get('name')}"}
