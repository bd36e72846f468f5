"""Actions: ``/v1/actions`` and the action lists of servers and images."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors, params
from ..backend import Action, Backend
from ..routing import Request, Response
from .common import page

ACTION_STATUSES = ("running", "success", "error")
ACTION_SORT_KEYS: dict[str, Callable[[Action], Any]] = {
    "id": lambda action: action.id,
    "command": lambda action: action.command,
    "status": lambda action: action.status,
    "started": lambda action: action.started,
    "finished": lambda action: action.finished,
}


def _actions(request: Request, actions: list[Action]) -> Response:
    return page(request, "actions", actions, ACTION_SORT_KEYS, lambda action: action.to_json())


def _action_filters(request: Request) -> dict[str, Any]:
    ids = params.int_list(request.query, "id")
    return {"ids": ids or None, "statuses": params.enum_list(request.query, "status", ACTION_STATUSES)}


def poll_actions(backend: Backend, request: Request) -> Response:
    """GET /actions?id=...: the first ``actions_id_cap`` ids asked for, ``{"actions": [...]}`` (without ``id``: 410)"""
    ids = params.int_list(request.query, "id")
    if not ids:
        request.deprecated = True
        raise errors.deprecated_api_endpoint("listing all actions is no longer supported: filter by id, or list the actions of a resource")
    return Response(200, {"actions": [action.to_json() for action in backend.poll_actions(ids)]})


def get_action(backend: Backend, request: Request) -> Response:
    """GET /actions/{id}"""
    return Response(200, {"action": backend.get_action(request.int_param("id")).to_json()})


def list_resource_type_actions(resource_type: str) -> Callable[[Backend, Request], Response]:
    """GET /servers/actions, GET /images/actions"""

    def handle(backend: Backend, request: Request) -> Response:
        return _actions(request, backend.list_actions(resource_type=resource_type, **_action_filters(request)))

    return handle


def get_resource_type_action(resource_type: str) -> Callable[[Backend, Request], Response]:
    """GET /servers/actions/{id}, GET /images/actions/{id}"""

    def handle(backend: Backend, request: Request) -> Response:
        return Response(200, {"action": backend.get_action(request.int_param("id"), resource_type).to_json()})

    return handle


def _resource_check(resource_type: str) -> Callable[[Backend, int], Any]:
    return {"server": lambda backend, item: backend.get_server(item), "image": lambda backend, item: backend.get_image(item)}[resource_type]


def list_resource_actions(resource_type: str) -> Callable[[Backend, Request], Response]:
    """GET /servers/{id}/actions, GET /images/{id}/actions"""
    check = _resource_check(resource_type)

    def handle(backend: Backend, request: Request) -> Response:
        resource_id = request.int_param("id")
        check(backend, resource_id)
        statuses = params.enum_list(request.query, "status", ACTION_STATUSES)
        return _actions(request, backend.list_actions(resource_type, resource_id, statuses=statuses))

    return handle


def get_resource_action(resource_type: str) -> Callable[[Backend, Request], Response]:
    """GET /servers/{id}/actions/{action_id}, GET /images/{id}/actions/{action_id} (deprecated since 2026-04-30)"""
    check = _resource_check(resource_type)

    def handle(backend: Backend, request: Request) -> Response:
        resource_id = request.int_param("id")
        check(backend, resource_id)
        return Response(200, {"action": backend.get_action(request.int_param("action_id"), resource_type, resource_id).to_json()})

    return handle
