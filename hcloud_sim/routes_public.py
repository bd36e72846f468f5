"""The public API under ``/v1``: read the request, call the backend, render the answer.

Only the routes the simulator implements are listed; any other path answers 404
``not_found``, a known path with another method 405 ``method_not_allowed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import catalog, errors, params
from .backend import Backend
from .labels import Selector, parse_selector
from .models import Action, Image
from .pagination import page_params, paginate, sort_items
from .routing import Request, Response, Router

SERVER_STATUSES = ("running", "initializing", "starting", "stopping", "off", "deleting", "migrating", "rebuilding", "unknown")
ACTION_STATUSES = ("running", "success", "error")
IMAGE_TYPES = ("system", "app", "snapshot", "backup")
IMAGE_STATUSES = ("available", "creating", "unavailable")

RESOURCE_SORT_KEYS: dict[str, Callable[[Any], Any]] = {"id": lambda item: item.id, "name": lambda item: item.name, "created": lambda item: item.created}
ACTION_SORT_KEYS: dict[str, Callable[[Action], Any]] = {
    "id": lambda action: action.id,
    "command": lambda action: action.command,
    "status": lambda action: action.status,
    "started": lambda action: action.started,
    "finished": lambda action: action.finished,
}
CATALOG_SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {"id": lambda item: item["id"], "name": lambda item: item["name"]}


def _page(request: Request, key: str, items: Sequence[Any], sort_keys: dict[str, Callable[[Any], Any]], render: Callable[[Any], Any]) -> Response:
    ordered = sort_items(items, params.many(request.query, "sort"), sort_keys)
    page, per_page = page_params(request.query)
    selected, meta = paginate(ordered, page, per_page)
    return Response(200, {key: [render(item) for item in selected], "meta": meta})


def _selector(request: Request) -> Selector | None:
    text = params.one(request.query, "label_selector")
    return parse_selector(text) if text else None


# ------------------------------------------------------------------------- servers


def list_servers(backend: Backend, request: Request) -> Response:
    """GET /servers"""
    statuses = params.enum_list(request.query, "status", SERVER_STATUSES)
    servers = backend.list_servers(name=params.one(request.query, "name"), selector=_selector(request), statuses=statuses)
    return _page(request, "servers", servers, RESOURCE_SORT_KEYS, lambda server: server.to_json())


def get_server(backend: Backend, request: Request) -> Response:
    """GET /servers/{id}"""
    return Response(200, {"server": backend.get_server(request.int_param("id")).to_json()})


def create_image(backend: Backend, request: Request) -> Response:
    """POST /servers/{id}/actions/create_image"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    body = params.check_body(request.json_object(), {"description": params.is_string, "type": params.one_of("snapshot", "backup"), "labels": params.is_labels})
    action, image = backend.create_image(server_id, body.get("description"), body.get("type", "snapshot"), body.get("labels"))
    return Response(201, {"action": action.to_json(), "image": image.to_json()})


def power_action(command: str) -> Callable[[Backend, Request], Response]:
    """POST /servers/{id}/actions/{shutdown,poweroff,poweron,reboot}"""

    def handle(backend: Backend, request: Request) -> Response:
        request.json()
        return Response(201, {"action": backend.power_action(request.int_param("id"), command).to_json()})

    handle.__doc__ = f"POST /servers/{{id}}/actions/{command}"
    return handle


# ------------------------------------------------------------------------- actions


def _actions(request: Request, actions: list[Action]) -> Response:
    return _page(request, "actions", actions, ACTION_SORT_KEYS, lambda action: action.to_json())


def _action_filters(request: Request) -> dict[str, Any]:
    ids = params.int_list(request.query, "id")
    return {"ids": ids or None, "statuses": params.enum_list(request.query, "status", ACTION_STATUSES)}


def list_actions(backend: Backend, request: Request) -> Response:
    """GET /actions?id=... (without ``id`` the endpoint is gone: 410)"""
    filters = _action_filters(request)
    if filters["ids"] is None:
        raise errors.deprecated_api_endpoint("listing all actions is no longer supported: filter by id, or list the actions of a resource")
    return _actions(request, backend.list_actions(**filters))


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


def list_server_actions(backend: Backend, request: Request) -> Response:
    """GET /servers/{id}/actions"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    statuses = params.enum_list(request.query, "status", ACTION_STATUSES)
    return _actions(request, backend.list_actions("server", server_id, statuses=statuses))


def get_server_action(backend: Backend, request: Request) -> Response:
    """GET /servers/{id}/actions/{action_id}"""
    server_id = request.int_param("id")
    backend.get_server(server_id)
    return Response(200, {"action": backend.get_action(request.int_param("action_id"), "server", server_id).to_json()})


def list_image_actions(backend: Backend, request: Request) -> Response:
    """GET /images/{id}/actions"""
    image_id = request.int_param("id")
    backend.get_image(image_id)
    statuses = params.enum_list(request.query, "status", ACTION_STATUSES)
    return _actions(request, backend.list_actions("image", image_id, statuses=statuses))


def get_image_action(backend: Backend, request: Request) -> Response:
    """GET /images/{id}/actions/{action_id}"""
    image_id = request.int_param("id")
    backend.get_image(image_id)
    return Response(200, {"action": backend.get_action(request.int_param("action_id"), "image", image_id).to_json()})


# ------------------------------------------------------------------------- images


def _image_filter(request: Request) -> Callable[[Image], bool]:
    query = request.query
    types = params.enum_list(query, "type", IMAGE_TYPES)
    statuses = params.enum_list(query, "status", IMAGE_STATUSES)
    bound_to = params.int_list(query, "bound_to")
    name = params.one(query, "name")
    architecture = params.one(query, "architecture")
    if architecture not in (None, "x86", "arm"):
        raise errors.invalid_field("architecture", "must be one of x86, arm")
    include_deprecated = params.boolean(query, "include_deprecated", False)
    selector = _selector(request)

    def matches(image: Image) -> bool:
        return (
            (not types or image.type in types)
            and (not statuses or image.status in statuses)
            and (not bound_to or image.bound_to in bound_to)
            and (name is None or image.name == name)
            and (architecture is None or image.architecture == architecture)
            and (include_deprecated or image.deprecated is None)
            and (selector is None or selector.matches(image.labels))
        )

    return matches


def list_images(backend: Backend, request: Request) -> Response:
    """GET /images"""
    images = backend.list_images(_image_filter(request))
    return _page(request, "images", images, RESOURCE_SORT_KEYS, lambda image: image.to_json())


def get_image(backend: Backend, request: Request) -> Response:
    """GET /images/{id}"""
    return Response(200, {"image": backend.get_image(request.int_param("id")).to_json()})


def update_image(backend: Backend, request: Request) -> Response:
    """PUT /images/{id}"""
    image_id = request.int_param("id")
    backend.get_image(image_id)
    body = params.check_body(request.json_object(), {"description": params.is_string, "type": params.one_of("snapshot"), "labels": params.is_labels})
    image = backend.update_image(image_id, body.get("description"), body.get("type"), body.get("labels"))
    return Response(200, {"image": image.to_json()})


def delete_image(backend: Backend, request: Request) -> Response:
    """DELETE /images/{id}"""
    backend.delete_image(request.int_param("id"))
    return Response(204)


def change_image_protection(backend: Backend, request: Request) -> Response:
    """POST /images/{id}/actions/change_protection"""
    image_id = request.int_param("id")
    current = backend.get_image(image_id)
    body = params.check_body(request.json_object(), {"delete": params.is_boolean})
    action = backend.change_image_protection(image_id, body.get("delete", current.protected))
    return Response(201, {"action": action.to_json()})


# ------------------------------------------------------------------------- catalogue


def _catalog_list(key: str, items: list[dict[str, Any]]) -> Callable[[Backend, Request], Response]:
    def handle(_backend: Backend, request: Request) -> Response:
        name = params.one(request.query, "name")
        selected = [item for item in items if name is None or item["name"] == name]
        response = _page(request, key, selected, CATALOG_SORT_KEYS, lambda item: item)
        if key == "datacenters":
            response.body["recommendation"] = items[0]["id"]
        return response

    return handle


def _catalog_get(key: str, items: list[dict[str, Any]]) -> Callable[[Backend, Request], Response]:
    def handle(_backend: Backend, request: Request) -> Response:
        item_id = request.int_param("id")
        item = next((item for item in items if item["id"] == item_id), None)
        if item is None:
            raise errors.not_found(key.replace("_", " "), item_id)
        return Response(200, {key: item})

    return handle


_LOCATIONS = [location.to_json() for location in catalog.LOCATIONS]
_SERVER_TYPES = sorted((server_type.to_json() for server_type in catalog.SERVER_TYPES), key=lambda item: item["id"])
_DATACENTERS = catalog.datacenters()


def build_router() -> Router[Backend]:
    """The route table of the public API."""
    server_actions = [(f"/v1/servers/{{id}}/actions/{command}", command) for command in ("shutdown", "poweroff", "poweron", "reboot")]
    return Router(
        [
            ("GET", "/v1/servers", list_servers),
            ("GET", "/v1/servers/actions", list_resource_type_actions("server")),
            ("GET", "/v1/servers/actions/{id}", get_resource_type_action("server")),
            ("GET", "/v1/servers/{id}", get_server),
            ("GET", "/v1/servers/{id}/actions", list_server_actions),
            ("GET", "/v1/servers/{id}/actions/{action_id}", get_server_action),
            ("POST", "/v1/servers/{id}/actions/create_image", create_image),
            *[("POST", path, power_action(command)) for path, command in server_actions],
            ("GET", "/v1/actions", list_actions),
            ("GET", "/v1/actions/{id}", get_action),
            ("GET", "/v1/images", list_images),
            ("GET", "/v1/images/actions", list_resource_type_actions("image")),
            ("GET", "/v1/images/actions/{id}", get_resource_type_action("image")),
            ("GET", "/v1/images/{id}", get_image),
            ("PUT", "/v1/images/{id}", update_image),
            ("DELETE", "/v1/images/{id}", delete_image),
            ("GET", "/v1/images/{id}/actions", list_image_actions),
            ("GET", "/v1/images/{id}/actions/{action_id}", get_image_action),
            ("POST", "/v1/images/{id}/actions/change_protection", change_image_protection),
            ("GET", "/v1/locations", _catalog_list("locations", _LOCATIONS)),
            ("GET", "/v1/locations/{id}", _catalog_get("location", _LOCATIONS)),
            ("GET", "/v1/server_types", _catalog_list("server_types", _SERVER_TYPES)),
            ("GET", "/v1/server_types/{id}", _catalog_get("server_type", _SERVER_TYPES)),
            ("GET", "/v1/datacenters", _catalog_list("datacenters", _DATACENTERS)),
            ("GET", "/v1/datacenters/{id}", _catalog_get("datacenter", _DATACENTERS)),
        ]
    )
