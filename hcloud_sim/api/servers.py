"""``/v1/servers``: listing and reading servers, create_image and the power actions."""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import params
from ..backend import Backend
from ..routing import Request, Response
from .common import RESOURCE_SORT_KEYS, page, selector

SERVER_STATUSES = ("running", "initializing", "starting", "stopping", "off", "deleting", "migrating", "rebuilding", "unknown")
POWER_COMMANDS = ("shutdown", "poweroff", "poweron", "reboot")
_HOSTNAME_PART = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def list_servers(backend: Backend, request: Request) -> Response:
    """GET /servers"""
    statuses = params.enum_list(request.query, "status", SERVER_STATUSES)
    servers = backend.list_servers(name=params.one(request.query, "name"), selector=selector(request), statuses=statuses)
    return page(request, "servers", servers, RESOURCE_SORT_KEYS, backend.render_server)


def get_server(backend: Backend, request: Request) -> Response:
    """GET /servers/{id}"""
    return Response(200, {"server": backend.render_server(backend.get_server(request.int_param("id")))})


def update_server(backend: Backend, request: Request) -> Response:
    """PUT /servers/{id}: ``name`` and ``labels`` (the labels replace the server's whole set)."""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    body = params.check_body(request.json_object(), {"name": is_server_name, "labels": params.is_labels})
    server = backend.update_server(server_id, body.get("name"), body.get("labels"))
    return Response(200, {"server": backend.render_server(server)})


def is_server_name(value: object) -> list[str]:
    """Checker: a server name is a hostname as RFC 1123 has it (letters, digits, dots and dashes)."""
    if not isinstance(value, str):
        return ["must be a string"]
    parts = value.split(".")
    if not value or len(value) > 253 or not all(_HOSTNAME_PART.match(part) for part in parts):
        return ["must be a valid hostname (RFC 1123: letters, digits, periods and dashes)"]
    return []


def create_image(backend: Backend, request: Request) -> Response:
    """POST /servers/{id}/actions/create_image"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    body = params.check_body(request.json_object(), {"description": params.is_string, "type": params.one_of("snapshot", "backup"), "labels": params.is_labels})
    action, image = backend.create_image(server_id, body.get("description"), body.get("type", "snapshot"), body.get("labels"))
    return Response(201, {"action": action.to_json(), "image": image.to_json()})


def power_action(command: str) -> Callable[[Backend, Request], Response]:
    """POST /servers/{id}/actions/{shutdown,poweroff,poweron,reboot} (no body fields)"""

    def handle(backend: Backend, request: Request) -> Response:
        params.check_body(request.json_object(), {})
        return Response(201, {"action": backend.power_action(request.int_param("id"), command).to_json()})

    handle.__doc__ = f"POST /servers/{{id}}/actions/{command}"
    return handle
