"""Actions: the operations that read them, and ``fail_action`` (control API) that ends one early.

How actions start and end is ``action_runner``; when they end, ``settlement``.
"""

from __future__ import annotations

from .. import errors
from ..clock import Clock
from .models import Action
from .seams import ActionFinisher
from .store import Store, operation


class ActionsFamily:
    """The operations on actions (part of ``Backend``)."""

    store: Store
    clock: Clock
    action_finisher: ActionFinisher

    @operation
    def list_actions(
        self, resource_type: str | None = None, resource_id: int | None = None, ids: list[int] | None = None, statuses: list[str] | None = None
    ) -> list[Action]:
        """Actions matching every given filter, in id order."""
        return [
            action
            for action in self.store.actions.values()
            if (resource_type is None or action.involves(resource_type, resource_id))
            and (ids is None or action.id in ids)
            and (not statuses or action.status in statuses)
        ]

    @operation
    def poll_actions(self, ids: list[int]) -> list[Action]:
        """``GET /actions?id=``: the first ``actions_id_cap`` requested ids that exist, in id order."""
        wanted = set(list(dict.fromkeys(ids))[: self.store.settings.actions_id_cap])
        return [action for action in self.store.actions.values() if action.id in wanted]

    @operation
    def get_action(self, action_id: int, resource_type: str | None = None, resource_id: int | None = None) -> Action:
        """One action, optionally only if it involves the given resource."""
        action = self.store.actions.get(action_id)
        if action is None or (resource_type is not None and not action.involves(resource_type, resource_id)):
            raise errors.not_found("action", action_id)
        return action

    @operation
    def fail_action(self, action_id: int, code: str, message: str) -> Action:
        """End a running action now, in error (its image, if any, as ``failed_image`` says)."""
        action = self.store.actions.get(action_id)
        if action is None:
            raise errors.not_found("action", action_id)
        if action.status != "running":
            raise errors.conflict(f"action {action_id} is not running (status {action.status})")
        self.action_finisher.finish(action, self.clock.now(), {"code": code, "message": message})
        return action
