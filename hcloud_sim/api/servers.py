"""``/v1/servers``: a server's life (create, read, update, rebuild, protect, delete), create_image and the power actions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import catalog, errors, params
from ..backend import Backend
from ..routing import Request, Response
from .common import RESOURCE_SORT_KEYS, page, selector

SERVER_STATUSES = ("running", "initializing", "starting", "stopping", "off", "deleting", "migrating", "rebuilding", "unknown")
POWER_COMMANDS = ("shutdown", "poweroff", "poweron", "reboot", "reset")
USER_DATA_LIMIT = 32 * 1024
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
    """POST /servers/{id}/actions/{shutdown,poweroff,poweron,reboot,reset} (no body fields)"""

    def handle(backend: Backend, request: Request) -> Response:
        params.check_body(request.json_object(), {})
        return Response(201, {"action": backend.power_action(request.int_param("id"), command).to_json()})

    handle.__doc__ = f"POST /servers/{{id}}/actions/{command}"
    return handle


def is_id_or_name(value: object) -> list[str]:
    """Checker: an id (a number, or a string of digits) or a name."""
    return [] if (isinstance(value, str) and value) or (isinstance(value, int) and not isinstance(value, bool)) else ["must be an ID or a name"]


def is_id_or_name_list(value: object) -> list[str]:
    """Checker: a list of ids or names."""
    if not isinstance(value, list) or any(is_id_or_name(item) for item in value):
        return ["must be a list of IDs or names"]
    return []


def is_user_data(value: object) -> list[str]:
    """Checker: cloud-init user data, at most 32 KiB."""
    if not isinstance(value, str):
        return ["must be a string"]
    return [] if len(value.encode()) <= USER_DATA_LIMIT else ["must be at most 32 KiB"]


def not_simulated(what: str) -> params.Checker:
    """Checker for a field naming resources the simulator does not have: only an empty list passes."""

    def check(value: Any) -> list[str]:
        return [] if value == [] else [f"the simulator has no {what}: only an empty list is accepted"]

    return check


def is_public_net(value: object) -> list[str]:
    """Checker: ``public_net`` with ``enable_ipv4``/``enable_ipv6`` (booleans); no Primary IPs."""
    if not isinstance(value, dict):
        return ["must be an object"]
    problems = [f"unknown field name '{key}'" for key in value if key not in ("enable_ipv4", "enable_ipv6", "ipv4", "ipv6")]
    problems += [f"'{key}' must be a boolean" for key in ("enable_ipv4", "enable_ipv6") if key in value and not isinstance(value[key], bool)]
    problems += [f"'{key}': the simulator has no Primary IPs" for key in ("ipv4", "ipv6") if value.get(key) is not None]
    return problems


CREATE_SERVER_FIELDS: dict[str, params.Checker] = {
    "name": is_server_name,
    "server_type": is_id_or_name,
    "image": is_id_or_name,
    "location": is_id_or_name,
    "datacenter": is_id_or_name,
    "labels": params.is_labels,
    "ssh_keys": is_id_or_name_list,
    "start_after_create": params.is_boolean,
    "user_data": is_user_data,
    "automount": params.is_boolean,
    "public_net": is_public_net,
    "networks": not_simulated("networks"),
    "volumes": not_simulated("volumes"),
    "firewalls": not_simulated("firewalls"),
    "placement_group": not_simulated("placement groups"),
}


def _location_of(body: dict[str, Any]) -> str | None:
    """The location asked for: ``location``, or the location of the (deprecated) ``datacenter``."""
    if "location" in body and "datacenter" in body:
        raise errors.invalid_input({"location": ["must not be used together with 'datacenter'"], "datacenter": ["must not be used together with 'location'"]})
    if "datacenter" not in body:
        return None if "location" not in body else str(body["location"])
    reference = str(body["datacenter"])
    place = next((item for item in catalog.LOCATIONS if reference in (item.datacenter_name, str(item.datacenter_id))), None)
    if place is None:
        raise errors.invalid_field("datacenter", f"datacenter '{reference}' not found")
    return place.name


def create_server(backend: Backend, request: Request) -> Response:
    """POST /servers"""
    body = params.check_body(request.json_object(), CREATE_SERVER_FIELDS, required=("name", "server_type", "image"))
    server, action, next_actions, password = backend.create_server(
        name=body["name"],
        server_type=str(body["server_type"]),
        image=str(body["image"]),
        location=_location_of(body),
        labels=body.get("labels"),
        ssh_keys=body.get("ssh_keys"),
        start_after_create=body.get("start_after_create", True),
    )
    return Response(
        201,
        {
            "server": backend.render_server(server),
            "action": action.to_json(),
            "next_actions": [item.to_json() for item in next_actions],
            "root_password": password,
        },
    )


def delete_server(backend: Backend, request: Request) -> Response:
    """DELETE /servers/{id}"""
    return Response(200, {"action": backend.delete_server_by_api(request.int_param("id")).to_json()})


def rebuild_server(backend: Backend, request: Request) -> Response:
    """POST /servers/{id}/actions/rebuild"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    body = params.check_body(request.json_object(), {"image": is_id_or_name, "user_data": is_user_data}, required=("image",))
    action, password = backend.rebuild_server(server_id, str(body["image"]))
    return Response(201, {"action": action.to_json(), "root_password": password})


def change_server_protection(backend: Backend, request: Request) -> Response:
    """POST /servers/{id}/actions/change_protection: ``delete`` and ``rebuild``, equal when both are sent"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    body = params.check_body(request.json_object(), {"delete": params.is_boolean, "rebuild": params.is_boolean})
    if "delete" in body and "rebuild" in body and body["delete"] != body["rebuild"]:
        raise errors.invalid_input({"rebuild": ["delete and rebuild protection must have the same value"]})
    action = backend.change_server_protection(server_id, body.get("delete"), body.get("rebuild"))
    return Response(201, {"action": action.to_json()})


def change_server_type(backend: Backend, request: Request) -> Response:
    """POST /servers/{id}/actions/change_type: ``server_type`` and ``upgrade_disk``, both required"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    body = params.check_body(request.json_object(), {"server_type": is_id_or_name, "upgrade_disk": params.is_boolean}, required=("server_type", "upgrade_disk"))
    return Response(201, {"action": backend.change_server_type(server_id, str(body["server_type"]), body["upgrade_disk"]).to_json()})


def is_id_list(value: object) -> list[str]:
    """Checker: a list of integer ids."""
    if not isinstance(value, list) or any(isinstance(item, bool) or not isinstance(item, int) for item in value):
        return ["must be a list of integer IDs"]
    return []


def enable_rescue(backend: Backend, request: Request) -> Response:
    """POST /servers/{id}/actions/enable_rescue: ``type`` (``linux64``), ``ssh_keys`` (IDs)"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    body = params.check_body(request.json_object(), {"type": params.one_of("linux64"), "ssh_keys": is_id_list})
    action, password = backend.enable_rescue(server_id, body.get("ssh_keys", []))
    return Response(201, {"action": action.to_json(), "root_password": password})


def no_body_action(operation: str) -> Callable[[Backend, Request], Response]:
    """POST /servers/{id}/actions/{enable_backup,disable_backup,disable_rescue} (no body fields)"""

    def handle(backend: Backend, request: Request) -> Response:
        server_id = request.int_param("id")
        backend.get_server(server_id)
        params.check_body(request.json_object(), {})
        return Response(201, {"action": getattr(backend, operation)(server_id).to_json()})

    handle.__doc__ = f"POST /servers/{{id}}/actions/{operation}"
    return handle
